"""Frames of rooms another node owns: this node hands them to the owner, which numbers and sends them
on the room's channel; and the owner's side of that (the ``events`` and ``frame`` messages).

This is the outbox's :class:`~roomservice.realtime.outbox.Remote`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec

from roomservice.broker.base import Envelope
from roomservice.broker.redis import RedisBroker
from roomservice.cluster.node import MAX_HOPS, Node, frame_body
from roomservice.errors import ClusterUnavailable
from roomservice.model import Room
from roomservice.protocol import messages
from roomservice.protocol.messages import RoomFrame
from roomservice.realtime.outbox import NotOwner, Outbox, RoomLog
from roomservice.rooms.chat import ChatLog
from roomservice.rooms.events import RoomEvent

log = logging.getLogger(__name__)

_json = msgspec.json.Encoder()


class Frames:
    def __init__(self, node: Node, broker: RedisBroker) -> None:
        self.node = node
        self.broker = broker
        self._outbox: Outbox | None = None
        self._chat: ChatLog | None = None

    def bind(self, outbox: Outbox, chat: ChatLog) -> None:
        """The parts built after this one: the outbox that numbers owned rooms' frames, the chat log."""
        self._outbox, self._chat = outbox, chat
        self.node.handle("events", self._events)
        self.node.handle("frame", self._frame)

    @property
    def outbox(self) -> Outbox:
        assert self._outbox is not None, "Frames.bind was not called"
        return self._outbox

    # -- Remote: this node does not own the room -----------------------------------------------

    async def room_events(self, room: Room, events: Sequence[RoomEvent], hops: int = 0) -> None:
        owner = await self.node.owner(room.room_id)
        if owner is None or owner == self.node.node_id:
            # The owner let the room go meanwhile: this node takes it.
            if hops >= MAX_HOPS:
                raise ClusterUnavailable(f"room {room.room_code}: no owner could be found")
            room_log = await self.outbox.follow(room.room_id, room.room_code)
            if room_log is not None:
                self._number(room_log, [(frame_body(e.frame), e.to, e.subject) for e in events])
                return
            await self.room_events(room, events, hops + 1)
            return
        try:
            await self.node.room_events_to(owner, room.room_id, room.room_code, events, hops)
        except ClusterUnavailable:
            log.warning("room %s: owner %s did not take the operation's frames", room.room_code, owner)

    def publish(self, room_id: str, room_code: str, frame: RoomFrame, *, chat: bool = False) -> None:
        body = {"room_id": room_id, "room_code": room_code, "frame": frame_body(frame), "chat": chat}
        owner = self.node.known_owner(room_id)
        if owner is not None:
            self.node.send(owner, "frame", {**body, "hops": 0})
        else:
            self.node.spawn(self._frame(body, self.node.node_id))

    async def since(self, room_id: str, after: int) -> list[Envelope] | None:
        return await self.broker.since(room_id, after)

    async def last_seq(self, room_id: str) -> int:
        return await self.broker.last_seq(room_id)

    # -- the owner's side ----------------------------------------------------------------------

    async def _owned(self, body: dict[str, Any]) -> RoomLog | None:
        """The room's log when this node owns it (taking it when nobody does); else the message is
        passed on to the owner (None)."""
        room_id, room_code, hops = body["room_id"], body["room_code"], int(body.get("hops", 0))
        try:
            room_log = await self.outbox.follow(room_id, room_code)
        except NotOwner:
            room_log = None
        if room_log is not None:
            return room_log
        owner = await self.node.owner(room_id)
        if owner is None or owner == self.node.node_id or hops >= MAX_HOPS:
            log.warning("room %s: dropped frames nobody owns", room_code)
            return None
        kind = "events" if "frames" in body else "frame"
        self.node.send(owner, kind, {**body, "hops": hops + 1})
        return None

    async def _events(self, body: dict[str, Any], sender: str) -> None:
        room_log = await self._owned(body)
        if room_log is None:
            return
        self._number(room_log, [(frame, to, subject) for frame, to, subject in body["frames"]])

    def _number(self, room_log: RoomLog, frames: list[tuple[dict[str, Any], str | None, str | None]]) -> None:
        closed = False
        for frame, to, subject in frames:
            seq = self.outbox.next_seq(room_log)
            text = _json.encode({**frame, "seq": seq}).decode()
            kind = frame["type"]
            self.outbox.send(room_log, Envelope(room_log.room_id, seq, text, to, kind=kind, subject=subject))
            closed = closed or kind == "room_closed"
        if closed:
            self.node.spawn(self.outbox.close_room(room_log.room_id))

    async def _frame(self, body: dict[str, Any], sender: str) -> None:
        room_log = await self._owned(body)
        if room_log is None:
            return
        frame = body["frame"]
        seq = self.outbox.next_seq(room_log)
        text = _json.encode({**frame, "seq": seq}).decode()
        self.outbox.send(room_log, Envelope(room_log.room_id, seq, text, None, kind=frame["type"]))
        if body.get("chat") and self._chat is not None:
            line = msgspec.convert({**frame, "seq": seq}, messages.Chat[str])
            self._chat.add(room_log.room_id, line)
