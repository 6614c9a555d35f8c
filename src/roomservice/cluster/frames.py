"""Frames of rooms another node owns: this node hands them to the owner, which numbers and sends them
on the room's channel (:class:`Frames`, the outbox's :class:`~roomservice.realtime.outbox.Remote`);
and the owner's side of that, the ``events`` and ``frame`` messages (:class:`OwnerFrames`).

The two meet only through the node: ``Frames`` exists before the outbox (the outbox is built with it),
``OwnerFrames`` after the outbox and the chat log (it numbers with the one and writes to the other). A
frame for a room whose owner is not known, or that nobody owns any more, is served by this node's own
``OwnerFrames`` through ``Node.here``: it takes the room, or passes the frame on to the owner.
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
from roomservice.protocol.messages import RoomFrame
from roomservice.realtime.outbox import NotOwner, Outbox, RoomLog
from roomservice.rooms.chat import ChatLog
from roomservice.rooms.events import RoomEvent

log = logging.getLogger(__name__)

_json = msgspec.json.Encoder()


class Frames:
    """What this node sends towards the owners of rooms it does not own."""

    def __init__(self, node: Node, broker: RedisBroker) -> None:
        self.node = node
        self.broker = broker

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        owner = await self.node.owner(room.room_id)
        # Nobody (or this node, meanwhile) owns it: this node's owner side takes it, or passes it on.
        target = self.node.node_id if owner is None else owner
        try:
            await self.node.room_events_to(target, room.room_id, room.room_code, events)
        except ClusterUnavailable:
            log.warning("room %s: owner %s did not take the operation's frames", room.room_code, target)

    def publish(self, room_id: str, room_code: str, frame: RoomFrame, *, chat: bool = False) -> None:
        body = {
            "room_id": room_id,
            "room_code": room_code,
            "frame": frame_body(frame),
            "chat": chat,
            "hops": 0,
        }
        owner = self.node.known_owner(room_id)
        if owner is not None:
            self.node.send(owner, "frame", body)
        else:
            self.node.spawn(self.node.here("frame", body))

    async def since(self, room_id: str, after: int) -> list[Envelope] | None:
        return await self.broker.since(room_id, after)

    async def last_seq(self, room_id: str) -> int:
        return await self.broker.last_seq(room_id)


class OwnerFrames:
    """The owner's side: numbers and sends the frames other nodes hand it (``events``: a committed
    room operation's; ``frame``: one frame, a chat line joining the room's history)."""

    def __init__(self, node: Node, outbox: Outbox, chat: ChatLog) -> None:
        self.node = node
        self.outbox = outbox
        self.chat = chat
        node.handle("events", self._events)
        node.handle("frame", self._frame)

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
        closed = False
        for frame, to, subject in body["frames"]:
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
        if body.get("chat"):
            self.chat.add(room_log.room_id, text)
