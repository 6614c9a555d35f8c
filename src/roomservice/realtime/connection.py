"""One client socket as the hub sees it: who it is, where it sits, and a bounded outbox.

Fan-out never awaits a socket: frames go into the outbox without blocking, and a writer task drains
it. A client that lets its outbox fill with live frames is disconnected (it may reconnect and resume)
instead of growing server memory or stalling its room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from roomservice.protocol import codes
from roomservice.realtime.ratelimit import TokenBucket
from roomservice.sessions import Session

log = logging.getLogger(__name__)

#: Seconds a closing socket gets to write its last frames.
FLUSH_TIMEOUT = 5.0

SendText = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class Connection:
    def __init__(
        self, session: Session, send: SendText, close: Close, bucket: TokenBucket, outbox_size: int
    ) -> None:
        self.session = session
        self._send = send
        self._close = close
        self.bucket = bucket
        self.outbox_size = outbox_size
        self._outbox: deque[str] = deque()
        #: Replayed frames still in the outbox: room they take is not held against the client.
        self._replaying = 0
        self._ready = asyncio.Event()
        #: The room this socket receives frames for, and the seq its ``room_state`` was taken at.
        self.room_id: str | None = None
        self.attached_seq = 0
        self.refused_in_a_row = 0
        #: Live frames held back while a returning client may still ask to resume, so that replayed
        #: frames reach it before newer ones.
        self.held: list[str] | None = None
        self.closed = False
        self._close_with = (1000, "")
        self._writer = asyncio.create_task(self._write())

    @property
    def session_id(self) -> str:
        return self.session.session_id

    def send(self, text: str) -> None:
        """Queue a live frame without waiting; a full outbox drops the connection."""
        if self.closed:
            return
        if self.held is not None and len(self.held) < self.outbox_size:
            self.held.append(text)
            return
        if len(self._outbox) >= self.outbox_size + self._replaying:
            log.info("dropping slow client %s", self.session_id)
            self._outbox.clear()  # it gets no goodbye: it is not reading
            self.close(codes.CLOSE_TOO_SLOW, "too slow")
            return
        self._outbox.append(text)
        self._ready.set()

    def send_replay(self, texts: Iterable[str]) -> None:
        """Queue frames a client asked to resume. Their number is bounded by the resume buffer, so
        they do not count against the outbox limit meant for a client falling behind live."""
        if not self.closed:
            before = len(self._outbox)
            self._outbox.extend(texts)
            self._replaying += len(self._outbox) - before
            self._ready.set()

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
        self._ready.set()

    async def _write(self) -> None:
        outbox = self._outbox
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                while outbox:
                    await self._send(outbox.popleft())
                    if self._replaying:
                        self._replaying -= 1
                if self.closed:
                    break
        except asyncio.CancelledError:
            return
        except Exception:
            self.closed = True  # the socket went away under us
            return
        with contextlib.suppress(Exception):
            await self._close(*self._close_with)

    async def wait_closed_after_flush(self) -> None:
        """Give the writer a few seconds to send what is queued and close the socket."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._writer), FLUSH_TIMEOUT)

    async def wait_closed(self) -> None:
        """Stop the writer once the receiving side has ended."""
        self.closed = True
        if not self._writer.done():
            self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
