"""One client socket as the hub sees it: who it is, where it sits, and a bounded outbox.

Fan-out never awaits a socket: frames go into the outbox without blocking, and a writer task drains
it; that task exists only while there is something to write, so an idle socket costs none. A client
that lets its outbox fill with live frames is disconnected (it may reconnect and resume) instead of
growing server memory or stalling its room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from roomservice.model import Session
from roomservice.protocol import codes
from roomservice.realtime.ratelimit import TokenBucket
from roomservice.realtime.wire import Flushes, Wire, frame_text
from roomservice.stats import Stats, frame_bytes

log = logging.getLogger(__name__)

#: Seconds a closing socket gets to write its last frames.
FLUSH_TIMEOUT = 5.0

SendText = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


def broadcast(conns: Iterable[Connection], text: str, framed: bytes) -> None:
    """:meth:`Connection.send` of one frame to each of ``conns``, without a call per receiver in the
    common case (a socket written directly, open, not held, with room in its outbox): every frame of
    every room comes this way."""
    for conn in conns:
        outbox = conn._outbox
        if (
            len(outbox) < conn.outbox_size
            and conn.held is None
            and conn._wire is not None
            and not conn.closed
        ):
            outbox.append(framed)
            if not conn._flush_due:
                conn._flush_due = True
                conn._flushes.add(conn)
        else:
            conn.send(text, framed)


class Connection:
    """A socket's outbox. With a :class:`Wire` it is flushed once per event-loop pass in one write,
    with no task at all; without one, a writer task awaits the ASGI ``send`` frame by frame."""

    __slots__ = (
        "_close",
        "_close_with",
        "_flush_due",
        "_flushed",
        "_flushes",
        "_outbox",
        "_replaying",
        "_send",
        "_stats",
        "_wire",
        "_writer",
        "attached_seq",
        "bucket",
        "chat_as",
        "chat_head",
        "closed",
        "held",
        "outbox_size",
        "project_id",
        "refused_in_a_row",
        "resumes_refused",
        "room_code",
        "room_id",
        "session",
    )

    def __init__(
        self,
        session: Session,
        send: SendText | None,
        close: Close | None,
        bucket: TokenBucket,
        outbox_size: int,
        wire: Wire | None = None,
        flushes: Flushes | None = None,
        stats: Stats | None = None,
    ) -> None:
        self.session = session
        self._send = send
        self._close = close
        self.bucket = bucket
        self.outbox_size = outbox_size
        #: Texts for the ASGI path, framed bytes for the wire.
        self._outbox: deque[Any] = deque()
        #: Replayed frames still in the outbox: room they take is not held against the client.
        self._replaying = 0
        #: The room this socket receives frames for, and the seq its ``room_state`` was taken at.
        self.room_id: str | None = None
        #: The code of that room, for the log.
        self.room_code: str | None = None
        self.attached_seq = 0
        #: The workshop project this socket has open, if any (a room of its own, beside ``room_id``).
        self.project_id: str | None = None
        self.refused_in_a_row = 0
        #: Resumes refused so far (the log names a few of them, not every one).
        self.resumes_refused = 0
        #: The session this socket's chat lines were last said as, and how their frames name it
        #: (``messages.chat_head``), made once rather than for every line.
        self.chat_as: Session | None = None
        self.chat_head = ""
        #: Live frames held back while a returning client may still ask to resume, so that replayed
        #: frames reach it before newer ones.
        self.held: list[str] | None = None
        self.closed = False
        self._close_with = (1000, "")
        #: Runs only while there is something to write or a close to send: an idle socket costs no task.
        self._writer: asyncio.Task[None] | None = None
        self._wire = wire
        #: Frames and bytes written are counted here, once per write (per event-loop pass on the wire).
        self._stats = stats
        #: Where a socket written directly waits for the end of the pass; True while it waits there.
        self._flushes = flushes if flushes is not None else Flushes()
        self._flush_due = False
        #: Set once the wire has written the close frame, for whoever waits for that.
        self._flushed: asyncio.Future[None] | None = None
        if wire is not None:
            wire.wire_on_resume = self.flush

    @property
    def session_id(self) -> str:
        return self.session.session_id

    def send(self, text: str, framed: bytes | None = None) -> None:
        """Queue a live frame without waiting; a full outbox drops the connection. ``framed`` is
        ``text`` already framed for the wire, shared by every receiver of a broadcast."""
        if self.closed:
            return
        if self.held is not None and len(self.held) < self.outbox_size:
            self.held.append(text)
            return
        outbox = self._outbox
        if len(outbox) >= self.outbox_size + self._replaying:
            log.info(
                "room %s: dropping slow client %s (%d frames unread); it may resume",
                self.room_code or "-",
                self.session_id,
                len(outbox),
                extra={"room": self.room_code, "session": self.session_id},
            )
            outbox.clear()  # it gets no goodbye: it is not reading
            self._replaying = 0
            self.close(codes.CLOSE_TOO_SLOW, "too slow")
            return
        if self._wire is None:
            outbox.append(text)
            if self._writer is None:
                self._writer = asyncio.get_running_loop().create_task(self._write())
        else:
            outbox.append(framed if framed is not None else frame_text(text))
            if not self._flush_due:
                self._flush_due = True
                self._flushes.add(self)

    def send_replay(self, texts: Iterable[str]) -> None:
        """Queue frames a client asked to resume. Their number is bounded by the resume buffer, so
        they do not count against the outbox limit meant for a client falling behind live."""
        if not self.closed:
            before = len(self._outbox)
            self._outbox.extend(texts if self._wire is None else map(frame_text, texts))
            self._replaying += len(self._outbox) - before
            if self._outbox:
                self._wake()

    def release(self, replay: Iterable[str] = ()) -> None:
        """Queue ``replay`` and then the frames held since the socket came back."""
        held, self.held = self.held or [], None
        self.send_replay([*replay, *held])

    def close(self, code: int, reason: str = "") -> None:
        """Close after the frames already queued (such as a final error frame) are written."""
        if self.closed:
            return
        self.closed = True
        self._close_with = (code, reason)
        self._wake()

    def _wake(self) -> None:
        if self._wire is not None:
            if not self._flush_due:
                self._flush_due = True
                self._flushes.add(self)
        elif self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    def flush(self) -> None:
        """Write everything queued in one go; a paused socket keeps its frames until it resumes,
        except that a connection being dropped with an empty outbox closes at once."""
        self._flush_due = False
        wire = self._wire
        if wire is None:
            return
        outbox = self._outbox
        if outbox and not wire.wire_paused:
            data = outbox[0] if len(outbox) == 1 else b"".join(outbox)
            stats = self._stats
            if stats is not None:
                stats.frames_out += len(outbox)
                stats.bytes_out += len(data)
            outbox.clear()
            self._replaying = 0
            wire.wire_write(data)
        if self.closed and not outbox:
            self._wire = None
            wire.wire_on_resume = None
            wire.wire_close(*self._close_with)
            if self._flushed is not None and not self._flushed.done():
                self._flushed.set_result(None)

    async def _write(self) -> None:
        """Drain the outbox, then end (or close the socket, once asked to)."""
        outbox = self._outbox
        send = self._send
        assert send is not None, "a connection without a wire has its ASGI send"
        try:
            stats = self._stats
            while outbox:
                text = outbox.popleft()
                await send(text)
                if stats is not None:
                    stats.frames_out += 1
                    stats.bytes_out += frame_bytes(text)
                if self._replaying:
                    self._replaying -= 1
        except asyncio.CancelledError:
            return
        except Exception:
            self.closed = True  # the socket went away under us
            outbox.clear()
            return
        if not self.closed:
            self._writer = None  # nothing awaited since the outbox was seen empty
            return
        if self._close is not None:
            with contextlib.suppress(Exception):
                await self._close(*self._close_with)

    async def wait_closed_after_flush(self) -> None:
        """Give the writer a few seconds to send what is queued and close the socket."""
        if self._wire is not None:
            if self._flushed is None:
                self._flushed = asyncio.get_running_loop().create_future()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._flushed), FLUSH_TIMEOUT)
        elif self._writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._writer), FLUSH_TIMEOUT)

    async def wait_closed(self) -> None:
        """Stop writing once the receiving side has ended."""
        self.closed = True
        wire, self._wire = self._wire, None
        if wire is not None:  # the close frame was not written yet: write it now, with nothing before it
            self._outbox.clear()
            wire.wire_on_resume = None
            wire.wire_close(*self._close_with)
        writer = self._writer
        if writer is not None and not writer.done():
            writer.cancel()
        if writer is not None:
            await asyncio.gather(writer, return_exceptions=True)
