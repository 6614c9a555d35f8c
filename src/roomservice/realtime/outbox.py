"""The owner's side of a room's frames: it numbers them, keeps the recent ones for ``resume`` and hands
each, encoded once, to the broker.

Only the node holding a room's lease numbers its frames. The counter continues above a high-water mark
reserved in the database ahead of use (in blocks of ``SEQ_BLOCK``), so an owner that restarts, or takes
over, numbers above everything it sent before, without a write per frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from roomservice.broker.base import Broker, Envelope
from roomservice.config import Settings
from roomservice.leases.base import Fenced, Lease, Leases
from roomservice.model import Room
from roomservice.protocol.messages import RoomFrame, encode
from roomservice.realtime.lobby import LobbyFeed
from roomservice.rooms.events import RoomEvent, closes_room
from roomservice.stats import Stats

log = logging.getLogger(__name__)

#: Numbers reserved per write of a room's high-water mark; the next block is reserved when half of
#: the current one is used.
SEQ_BLOCK = 100_000
#: One published frame in this many has its fan-out timed: reading the clock twice costs more than
#: the rest of the counting together (a system call on some virtual machines), and a sample tells
#: the distribution as well.
FANOUT_SAMPLE = 16


class SeqMarks(Protocol):
    """Where high-water marks and fences live (``store.seq.SeqMarks``)."""

    async def claim(self, room_id: str, token: int) -> int:
        """Make ``token`` the room's fence and return its mark; raises ``Fenced`` when a higher token
        claimed the room already."""

    async def raise_to(self, room_id: str, hwm: int, token: int | None = None) -> None:
        """Raise the mark; with ``token``, raises ``Fenced`` when a newer owner claimed the room."""

    async def forget(self, room_id: str, token: int | None = None) -> None: ...


class Remote(Protocol):
    """Several nodes: how this node reaches a room it does not own (``cluster.node.Node``)."""

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        """Hand a committed room operation's events to the room's owner, which numbers and sends them
        (claiming the room when nobody owns it)."""

    def publish(self, room_id: str, room_code: str, frame: RoomFrame, *, chat: bool = False) -> None:
        """Have the room's owner number and send ``frame``; a chat line also joins the room's history."""

    async def since(self, room_id: str, after: int) -> list[Envelope] | None:
        """The room's frames after ``after`` (None: no longer kept), for a socket that resumes here."""

    async def last_seq(self, room_id: str) -> int:
        """The seq of the room's newest frame."""


class NotOwner(Exception):
    """This node does not hold the room's lease, so it may not number its frames."""


class RoomLog:
    """One owned room: its last seq, the numbers reserved so far, and the frames kept for resume."""

    __slots__ = ("buffer", "fence", "lease", "reserved", "reserving", "room_code", "room_id", "seq")

    def __init__(
        self, room_id: str, room_code: str, lease: Lease, hwm: int, buffer_size: int, fenced: bool = False
    ) -> None:
        self.room_id = room_id
        self.room_code = room_code
        self.lease = lease
        #: The token this node's writes of the room carry (fencing), or None when nobody else could
        #: own the room (one node alone).
        self.fence = lease.token if fenced else None
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
        stats: Stats | None = None,
        *,
        fencing: bool = False,
        remote: Remote | None = None,
    ) -> None:
        self.settings = settings
        #: Times one fan-out in ``FANOUT_SAMPLE`` when metrics are on.
        self.stats = stats
        self._published = 0
        #: Whether other nodes may own rooms: then every write of an owned room carries its token.
        self.fencing = fencing
        #: Called with a room's id when this node stops owning it without closing it.
        self._on_lost: list[Callable[[str], None]] = []
        #: Awaited with a room's id each time this node takes a room no node owned (several nodes),
        #: before anyone else gets the room's log: what runs a room (its game) comes back here.
        self._on_claimed: list[Callable[[str], Awaitable[None]]] = []
        #: Several nodes: the owners of the rooms this node does not own.
        self.remote = remote
        #: Set when the node stops: it takes no more rooms.
        self.stopping = False
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
        if self.stopping:
            raise NotOwner(room_id)  # a node on its way out takes no room
        pending = self._opening.get(room_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[RoomLog] = asyncio.get_running_loop().create_future()
        self._opening[room_id] = future
        try:
            lease = await self.leases.acquire(room_id)
            if lease is None:
                raise NotOwner(room_id)
            try:
                # Claimed before anything of the room is read: a former owner's writes from now on
                # are refused, and those it made are there to be read.
                hwm = await self.marks.claim(room_id, lease.token)
            except Fenced:
                await self.leases.release(lease)
                raise NotOwner(room_id) from None
            room_log = RoomLog(room_id, room_code, lease, hwm, self.settings.resume_buffer, self.fencing)
            await self._reserve(room_log)
            self.rooms[room_id] = room_log
            self.broker.own(room_id)
            for claimed in self._on_claimed:
                # The room's log is in place (so ``open`` answers at once from here on); other
                # callers waiting for the room wait for this too.
                await claimed(room_id)
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

    async def follow(self, room_id: str, room_code: str) -> RoomLog | None:
        """The room's log when this node owns the room (taking it if nobody does); None when another
        node owns it (several nodes only: one node alone owns every room)."""
        try:
            return await self.open(room_id, room_code)
        except NotOwner:
            if self.remote is None:
                raise
            return None

    def when_claimed(self, callback: Callable[[str], Awaitable[None]]) -> None:
        """Await ``callback(room_id)`` whenever this node takes a room (see ``_on_claimed``)."""
        self._on_claimed.append(callback)

    async def _reserve(self, room_log: RoomLog) -> None:
        target = max(room_log.reserved, room_log.seq) + SEQ_BLOCK
        room_log.reserving = True
        try:
            await self.marks.raise_to(room_log.room_id, target, room_log.fence)
            room_log.reserved = max(room_log.reserved, target)
        except Fenced:
            self.lost(room_log.room_id)
            raise
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
        except Fenced:
            log.warning("room %s: a newer owner claimed it; no longer numbered here", room_log.room_code)
        except Exception:
            log.exception("room %s: could not reserve frame numbers", room_log.room_code)

    async def renew(self, now: float | None = None) -> None:
        """Renew the leases of every owned room together; a room whose lease was lost is no longer
        numbered here. When the leases' store does not answer, each lease is kept until its
        ``expires_at`` passes ``now`` (when given), then lost, and the error is raised."""
        logs = list(self.rooms.values())
        if not logs:
            return
        try:
            # All at once: renewing one at a time, a node owning thousands of rooms would take longer
            # than a lease lasts and lose the rooms it renewed last.
            renewals = await self.leases.renew_many([room_log.lease for room_log in logs])
        except Exception:
            for room_log in logs:
                if now is not None and room_log.lease.expires_at <= now:
                    log.warning(
                        "room %s: lease not renewed in time; no longer owned here", room_log.room_code
                    )
                    self.lost(room_log.room_id)
            raise
        for room_log, renewed in zip(logs, renewals, strict=True):
            if self.rooms.get(room_log.room_id) is not room_log:
                continue  # closed or lost meanwhile
            if renewed is None:
                log.warning("room %s: lease lost; another node owns it now", room_log.room_code)
                self.lost(room_log.room_id)
            else:
                room_log.lease = renewed

    def when_lost(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(room_id)`` whenever this node stops owning a room it did not close (a lease
        lost or a write refused by the fence), so what runs the room here stops."""
        self._on_lost.append(callback)

    def lost(self, room_id: str) -> None:
        """Another node owns the room now: stop numbering it here, and tell who runs it here."""
        room_log = self.rooms.pop(room_id, None)
        if room_log is None:
            return
        self.broker.disown(room_id, room_log.seq)
        for callback in self._on_lost:
            try:
                callback(room_id)
            except Exception:
                log.exception("room %s: a listener failed on the lost lease", room_id)

    def fence_of(self, room_id: str) -> int | None:
        """The token a write of the room carries when this node owns it and others could; else None."""
        room_log = self.rooms.get(room_id)
        return room_log.fence if room_log is not None else None

    async def close_room(self, room_id: str) -> None:
        """The room is gone: drop its log, its mark and its lease."""
        room_log = self.rooms.pop(room_id, None)
        if room_log is None:
            return
        self.broker.disown(room_id, room_log.seq)
        try:
            await self.marks.forget(room_id, room_log.fence)
        finally:
            await self.leases.release(room_log.lease)

    async def release_room(self, room_id: str) -> None:
        """Nothing of the room runs here any more, but it may come back (a project closed in memory):
        drop its log and lease, keep its mark, so whoever opens it next numbers above what was sent."""
        room_log = self.rooms.pop(room_id, None)
        if room_log is not None:
            self.broker.disown(room_id, room_log.seq)
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
        stats = self.stats
        if stats is not None:
            self._published += 1
            if not self._published % FANOUT_SAMPLE:
                start = time.perf_counter()
                self.broker.publish(envelope)
                stats.fanout.observe(time.perf_counter() - start)
                return
        self.broker.publish(envelope)

    def publish(self, room_log: RoomLog, frame: RoomFrame, to: str | None = None) -> int:
        """Number, encode (once), keep and fan out one frame of an owned room; its seq."""
        seq = frame.seq = self.next_seq(room_log)
        self.send(room_log, Envelope(room_log.room_id, seq, encode(frame), to, frame.type))
        return seq

    def chat(self, room_log: RoomLog, head: str, said: str, at: str) -> str:
        """:meth:`publish` for a chat line of an owned room, its text written from its parts
        (:func:`roomservice.protocol.messages.chat_head` says how) rather than from a frame built and
        encoded: every line of every room comes this way. The text sent."""
        seq = room_log.seq + 1
        if seq > room_log.reserved - SEQ_BLOCK // 2:
            seq = self.next_seq(room_log)
        else:
            room_log.seq = seq
        text = f'{{"type":"chat","seq":{seq},{head}"text":{said},"at":"{at}"}}'
        envelope = Envelope(room_log.room_id, seq, text, None, "chat")
        if self.stats is None or (self._published + 1) % FANOUT_SAMPLE:
            # ``send`` without the call.
            self._published += 1
            room_log.buffer.append(envelope)
            self.broker.publish(envelope)
        else:
            self.send(room_log, envelope)
        return text

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
        try:
            room_log = await self.open(room.room_id, room.room_code)
        except NotOwner:
            if self.remote is None:
                raise
            await self.remote.room_events(room, events)
            return
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
            self.broker.disown(room_log.room_id, room_log.seq)
            await self.leases.release(room_log.lease)
        self.rooms.clear()
