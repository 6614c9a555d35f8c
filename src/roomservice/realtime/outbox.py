"""The owner's side of a room's frames: it numbers them, keeps the recent ones for ``resume`` and hands
each, encoded once, to the broker.

Only the node holding a room's lease numbers its frames. The counter continues above a high-water mark
reserved in the database ahead of use (in blocks of ``SEQ_BLOCK``), so an owner that restarts, or takes
over, numbers above everything it sent before, without a write per frame.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from roomservice.broker.base import Broker, Envelope
from roomservice.config import Settings
from roomservice.leases.base import Lease, Leases
from roomservice.model import Room
from roomservice.protocol.messages import RoomFrame, encode, encode_bytes
from roomservice.realtime.lobby import LobbyFeed
from roomservice.rooms.events import RoomEvent, closes_room

log = logging.getLogger(__name__)

#: Numbers reserved per write of a room's high-water mark; the next block is reserved when half of
#: the current one is used.
SEQ_BLOCK = 100_000


class SeqMarks(Protocol):
    """Where high-water marks live (``store.seq.SeqMarks``)."""

    async def load(self, room_id: str) -> int: ...
    async def raise_to(self, room_id: str, hwm: int) -> None: ...
    async def forget(self, room_id: str) -> None: ...


class NotOwner(Exception):
    """This node does not hold the room's lease, so it may not number its frames."""


class RoomLog:
    """One owned room: its last seq, the numbers reserved so far, and the frames kept for resume."""

    __slots__ = ("buffer", "lease", "reserved", "reserving", "room_code", "room_id", "seq")

    def __init__(self, room_id: str, room_code: str, lease: Lease, hwm: int, buffer_size: int) -> None:
        self.room_id = room_id
        self.room_code = room_code
        self.lease = lease
        #: The seq of the last frame published for the room.
        self.seq = hwm
        self.reserved = hwm
        self.reserving = False
        self.buffer: deque[Envelope] = deque(maxlen=buffer_size)

    def missed(self, session_id: str, after: int, upto: int) -> Iterator[str] | None:
        """The texts ``session_id`` gets of frames with ``after < seq <= upto``, or None when the
        buffer no longer reaches back that far (the caller then sends a fresh room_state)."""
        if after >= upto:
            return iter(())  # nothing newer than what the socket already has
        oldest = self.buffer[0].seq if self.buffer else self.seq + 1
        if oldest > after + 1:
            return None
        return (
            text
            for e in self.buffer
            if after < e.seq <= upto and (text := e.text_for(session_id)) is not None
        )


class Outbox:
    def __init__(
        self,
        settings: Settings,
        broker: Broker,
        leases: Leases,
        marks: SeqMarks,
        lobby: LobbyFeed | None = None,
    ) -> None:
        self.settings = settings
        #: Follows every committed room operation, for the sockets that watch the lobby.
        self.lobby = lobby if lobby is not None else LobbyFeed()
        self.broker = broker
        self.leases = leases
        self.marks = marks
        self.rooms: dict[str, RoomLog] = {}
        self._opening: dict[str, asyncio.Future[RoomLog]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- owning rooms ------------------------------------------------------------------------

    async def open(self, room_id: str, room_code: str) -> RoomLog:
        """The room's log, taking its lease and reading its high-water mark the first time; raises
        :class:`NotOwner` when another node holds the room."""
        log_ = self.rooms.get(room_id)
        if log_ is not None:
            return log_
        pending = self._opening.get(room_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[RoomLog] = asyncio.get_running_loop().create_future()
        self._opening[room_id] = future
        try:
            lease = await self.leases.acquire(room_id)
            if lease is None:
                raise NotOwner(room_id)
            hwm = await self.marks.load(room_id)
            room_log = RoomLog(room_id, room_code, lease, hwm, self.settings.resume_buffer)
            await self._reserve(room_log)
            self.rooms[room_id] = room_log
            future.set_result(room_log)
            return room_log
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else need be waiting
            raise
        finally:
            del self._opening[room_id]

    def get(self, room_id: str) -> RoomLog | None:
        return self.rooms.get(room_id)

    async def _reserve(self, room_log: RoomLog) -> None:
        target = max(room_log.reserved, room_log.seq) + SEQ_BLOCK
        room_log.reserving = True
        try:
            await self.marks.raise_to(room_log.room_id, target)
            room_log.reserved = max(room_log.reserved, target)
        finally:
            room_log.reserving = False

    def _reserve_soon(self, room_log: RoomLog) -> None:
        room_log.reserving = True  # one reservation in flight per room
        task = asyncio.get_running_loop().create_task(self._reserve_logged(room_log))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reserve_logged(self, room_log: RoomLog) -> None:
        try:
            await self._reserve(room_log)
        except Exception:
            log.exception("room %s: could not reserve frame numbers", room_log.room_code)

    async def renew(self) -> None:
        """Renew the lease of every owned room; a room whose lease was lost is no longer numbered here."""
        for room_log in list(self.rooms.values()):
            renewed = await self.leases.renew(room_log.lease)
            if renewed is None:
                log.warning("room %s: lease lost; another node owns it now", room_log.room_code)
                self.rooms.pop(room_log.room_id, None)
            else:
                room_log.lease = renewed

    async def close_room(self, room_id: str) -> None:
        """The room is gone: drop its log, its mark and its lease."""
        room_log = self.rooms.pop(room_id, None)
        if room_log is None:
            return
        try:
            await self.marks.forget(room_id)
        finally:
            await self.leases.release(room_log.lease)

    # -- numbering and publishing ------------------------------------------------------------

    def next_seq(self, room_log: RoomLog) -> int:
        room_log.seq += 1
        seq = room_log.seq
        if seq > room_log.reserved - SEQ_BLOCK // 2 and not room_log.reserving:
            if seq > room_log.reserved:
                log.warning("room %s: seq %d ran past its reserved mark", room_log.room_code, seq)
            self._reserve_soon(room_log)
        return seq

    def send(self, room_log: RoomLog, envelope: Envelope) -> None:
        room_log.buffer.append(envelope)
        self.broker.publish(envelope)

    def publish(self, room_log: RoomLog, frame: RoomFrame, to: str | None = None) -> int:
        """Number, encode (once), keep and fan out one frame of an owned room; its seq."""
        return self.emit(room_log, frame, to).seq

    def emit(self, room_log: RoomLog, frame: RoomFrame, to: str | None = None) -> Envelope:
        """:meth:`publish`, handing back the envelope (with the text the frame was sent as)."""
        seq = room_log.seq + 1
        if seq > room_log.reserved - SEQ_BLOCK // 2:
            seq = self.next_seq(room_log)
        else:
            room_log.seq = seq
        frame.seq = seq
        envelope = Envelope(room_log.room_id, seq, encode_bytes(frame).decode(), to, frame.type)
        room_log.buffer.append(envelope)
        self.broker.publish(envelope)
        return envelope

    def publish_views(
        self, room_log: RoomLog, views: Mapping[str, str], default: str | None, kind: str
    ) -> None:
        """One frame numbered once whose text depends on the receiver: ``views`` by session id, else
        ``default`` (None: nothing for the others). It takes one slot of the resume buffer."""
        seq = room_log.seq  # the caller numbered it (the texts carry the seq)
        self.send(room_log, Envelope(room_log.room_id, seq, default or "", None, kind=kind, views=views))

    # -- room events (RoomEventSink) ---------------------------------------------------------

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        """Publish what a committed room operation produced, in order."""
        self.lobby.room_events(room, events)
        if not events:
            return
        room_log = await self.open(room.room_id, room.room_code)
        for event in events:
            frame = event.frame
            seq = self.next_seq(room_log)
            frame.seq = seq
            self.send(
                room_log,
                Envelope(room.room_id, seq, encode(frame), event.to, kind=frame.type, subject=event.subject),
            )
        if closes_room(events):
            await self.close_room(room.room_id)

    async def close(self) -> None:
        """Finish the reservations in flight (each one write), then let every room go."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for room_log in list(self.rooms.values()):
            await self.leases.release(room_log.lease)
        self.rooms.clear()
