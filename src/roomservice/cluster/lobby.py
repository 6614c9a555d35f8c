"""The live lobby of a node in a cluster: every node's sockets see every node's room changes.

A node's own committed room operations reach its feed as on one node alone; each change to a public
room is then told to the other nodes on the broker channel ``lobby`` (room id, and whether it closed).
A node hearing of a change reads the room from the database (the change committed before it was told)
and feeds it to its own subscribers, so they see it within a round trip of the database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from roomservice.broker.base import Broker, Envelope
from roomservice.model import Room
from roomservice.realtime.lobby import LobbyFeed
from roomservice.rooms.events import RoomEvent, closes_room, room_closed

log = logging.getLogger(__name__)

CHANNEL = "lobby"

_json = msgspec.json.Encoder()

#: Reads a room by id (``RoomService.get_by_id``).
LoadRoom = Callable[[str], Awaitable[Room | None]]


class ClusterLobby(LobbyFeed):
    __slots__ = ("_broker", "_load", "_origin", "_spawn")

    def __init__(
        self, broker: Broker, origin: str, load: LoadRoom, spawn: Callable[[Awaitable[None]], None]
    ) -> None:
        """Hears other nodes' changes from the start; ``origin`` is this node's id, ``load`` reads a
        room from the database, ``spawn`` runs a task."""
        super().__init__()
        self._broker = broker
        self._origin = origin
        self._load = load
        self._spawn = spawn
        broker.subscribe(CHANNEL, self._heard)

    def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        super().room_events(room, events)
        if not room.private:
            notice = {"room_id": room.room_id, "closed": closes_room(events), "from": self._origin}
            self._broker.publish(Envelope(CHANNEL, 0, _json.encode(notice).decode(), None, "lobby"))

    def _heard(self, envelope: Envelope) -> None:
        notice = msgspec.json.decode(envelope.text)
        if notice.get("from") == self._origin:
            return
        room_id = notice["room_id"]
        if notice.get("closed"):
            known = self.rooms.get(room_id)
            if known is not None:
                super().room_events(known, [room_closed("closed")])
            return
        self._spawn(self._reload(room_id))

    async def _reload(self, room_id: str) -> None:
        try:
            room = await self._load(room_id)
        except Exception:
            log.exception("lobby: could not read room %s", room_id)
            return
        if room is None:
            known = self.rooms.get(room_id)
            if known is not None:
                super().room_events(known, [room_closed("closed")])
        else:
            super().room_events(room, [])
