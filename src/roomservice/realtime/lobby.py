"""The live lobby: sockets that follow the public rooms (of one game, or all) without polling.

The feed keeps every public room as ``GET /api/rooms`` shows it, loaded once at start and then kept
current by the committed room events the outbox hands it, so a ``lobby_snapshot`` needs no query and
agrees with the changes that follow it. Each change is encoded and framed once and the same bytes are
queued on every subscriber's socket, however many there are. Private rooms never enter the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from roomservice.model import Room
from roomservice.protocol import messages
from roomservice.protocol.messages import encode
from roomservice.realtime.connection import Connection
from roomservice.realtime.wire import frame_text
from roomservice.rooms.events import RoomEvent, closes_room


class LobbyFeed:
    __slots__ = ("by_game", "following", "rooms")

    def __init__(self) -> None:
        #: Public rooms by room id: the room object the HTTP lobby shows.
        self.rooms: dict[str, dict[str, Any]] = {}
        #: Subscribers by the game they follow (None: every game).
        self.by_game: dict[str | None, dict[int, Connection]] = {}
        #: What each subscribed socket follows, by ``id(conn)``.
        self.following: dict[int, str | None] = {}

    def load(self, rooms: Iterable[Room]) -> None:
        """The public rooms as they stand at start, before any socket subscribes."""
        self.rooms = {room.room_id: room.to_dict() for room in rooms if not room.private}

    # -- subscribers -------------------------------------------------------------------------

    def subscribe(self, conn: Connection, game: str | None) -> None:
        """Follow ``game``'s lobby (replacing what the socket followed); the snapshot goes first."""
        self.unsubscribe(conn)
        self.following[id(conn)] = game
        self.by_game.setdefault(game, {})[id(conn)] = conn
        rooms = [r for r in self.rooms.values() if game is None or r["game"] == game]
        rooms.sort(key=lambda r: (r["created_at"], r["room_id"]), reverse=True)
        conn.send(encode(messages.LobbySnapshot(game=game, rooms=rooms)))

    def unsubscribe(self, conn: Connection) -> None:
        """Stop following; a socket that follows nothing is left as it is."""
        key = id(conn)
        if key not in self.following:
            return
        game = self.following.pop(key)
        subscribers = self.by_game.get(game)
        if subscribers is not None:
            subscribers.pop(key, None)
            if not subscribers:
                del self.by_game[game]

    @property
    def subscribers(self) -> int:
        return len(self.following)

    # -- changes -----------------------------------------------------------------------------

    def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        """Follow a committed room operation: the room appears, changes or goes."""
        if room.private:
            return
        if closes_room(events):
            known = self.rooms.pop(room.room_id, None)
            if known is not None:
                self._broadcast(messages.LobbyRoomRemoved(room=room.to_dict()), room.game)
            return
        data = room.to_dict()
        frame: messages.ServerFrame
        if room.room_id in self.rooms:
            if self.rooms[room.room_id] == data:
                return  # nothing the lobby shows changed (a frame only the members see)
            frame = messages.LobbyRoomUpdated(room=data)
        else:
            frame = messages.LobbyRoomAdded(room=data)
        self.rooms[room.room_id] = data
        self._broadcast(frame, room.game)

    def _broadcast(self, frame: messages.ServerFrame, game: str) -> None:
        every, one = self.by_game.get(None), self.by_game.get(game)
        if not every and not one:
            return
        text = encode(frame)
        framed = frame_text(text)
        for subscribers in (every, one):
            if subscribers:
                for conn in list(subscribers.values()):
                    conn.send(text, framed)
