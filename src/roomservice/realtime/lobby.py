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

_Change = messages.LobbyRoomAdded[Any] | messages.LobbyRoomUpdated[Any] | messages.LobbyRoomRemoved[Any]


class LobbyFeed:
    __slots__ = ("by_game", "following", "rooms")

    def __init__(self) -> None:
        #: Public rooms by room id, as they last stood; turned into the lobby's room object only
        #: when someone is listening.
        self.rooms: dict[str, Room] = {}
        #: Subscribers by the game they follow (None: every game).
        self.by_game: dict[str | None, dict[int, Connection]] = {}
        #: What each subscribed socket follows, by ``id(conn)``.
        self.following: dict[int, str | None] = {}

    def load(self, rooms: Iterable[Room]) -> None:
        """The public rooms as they stand at start, before any socket subscribes."""
        self.rooms = {room.room_id: room for room in rooms if not room.private}

    # -- subscribers -------------------------------------------------------------------------

    def subscribe(self, conn: Connection, game: str | None) -> None:
        """Follow ``game``'s lobby (replacing what the socket followed); the snapshot goes first."""
        self.unsubscribe(conn)
        self.following[id(conn)] = game
        self.by_game.setdefault(game, {})[id(conn)] = conn
        rooms = [r for r in self.rooms.values() if game is None or r.game == game]
        rooms.sort(key=lambda r: (r.created_at, r.room_id), reverse=True)  # the HTTP lobby's order
        conn.send(encode(messages.LobbySnapshot(game=game, rooms=[r.to_dict() for r in rooms])))

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
            if self.rooms.pop(room.room_id, None) is not None:
                self._broadcast(messages.LobbyRoomRemoved, room)
            return
        known = self.rooms.get(room.room_id)
        if known == room:
            return  # nothing the lobby shows changed
        self.rooms[room.room_id] = room
        self._broadcast(messages.LobbyRoomAdded if known is None else messages.LobbyRoomUpdated, room)

    def _broadcast(self, kind: type[_Change], room: Room) -> None:
        every, one = self.by_game.get(None), self.by_game.get(room.game)
        if not every and not one:
            return  # nobody listens: not even the room object is built
        text = encode(kind(room=room.to_dict()))
        framed = frame_text(text)
        for subscribers in (every, one):
            if subscribers:
                for conn in list(subscribers.values()):
                    conn.send(text, framed)
