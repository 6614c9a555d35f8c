"""One accepted WebSocket of the direct transport, read and written without ASGI messages.

picows parses the frames (compiled code: a read's frames come out in one pass, each as a callback on
this object) and answers pings; this class turns them into messages for the app, keeps the heartbeat,
runs the closing handshake, and is the :class:`roomservice.realtime.wire.Wire` the app writes through.
Before the app listens (``wire_listen``), messages wait in a short inbox that the ASGI ``receive``
reads, so the handshake and the first frames behave as on any ASGI server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport

from roomservice.realtime.wire import OnClosed, OnText

log = logging.getLogger("roomservice.web.wire")

#: Seconds a peer gets to answer our close frame before it is cut off.
CLOSE_TIMEOUT = 10.0
#: Messages the inbox holds before the app listens; past that, reading pauses until it drains.
INBOX_LIMIT = 16

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CONTINUATION = WSMsgType.CONTINUATION
_PONG = WSMsgType.PONG
_CLOSE = WSMsgType.CLOSE
_LINGER_NOW = struct.pack("ii", 1, 0)
_CLOSE_HEAD = struct.Struct("!BBH")
#: Close codes a peer may send (RFC 6455 7.4): others are answered with 1002.
_PEER_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})


def close_frame(code: int, reason: str = "") -> bytes:
    """An unmasked close frame; the reason is cut to fit a control frame's 125 bytes."""
    payload = reason.encode()[:123]
    return _CLOSE_HEAD.pack(0x88, 2 + len(payload), code) + payload


def _ignore(data: bytes) -> None:
    """What writing to a closing socket does."""


class Disconnected(OSError):
    """The app wrote to a socket that has closed (Starlette reports it as a disconnect)."""


class Socket(WSListener):
    """The app's end of one socket (see the module docstring). ``connections`` is the server's set of
    open connections: the socket is in it while open, so a server shutdown closes it with 1012."""

    __slots__ = (
        "_close_timer",
        "_closed_told",
        "_connections",
        "_fragments",
        "_inbox",
        "_max_size",
        "_ping_interval",
        "_ping_timeout",
        "_pong_due",
        "_raw",
        "_timer",
        "_waiter",
        "closing",
        "on_closed",
        "on_text",
        "transport",
        "wire_on_resume",
        "wire_paused",
        "wire_write",
    )

    def __init__(
        self,
        connections: set[Any],
        max_size: int,
        ping_interval: float | None,
        ping_timeout: float | None,
    ) -> None:
        super().__init__()
        self._connections = connections
        self._max_size = max_size
        self._ping_interval = ping_interval if ping_interval and ping_interval > 0 else None
        self._ping_timeout = ping_timeout if ping_timeout and ping_timeout > 0 else None
        self.transport: WSTransport | None = None
        self._raw: asyncio.Transport | None = None
        #: True once a close frame was sent or the socket is going away: nothing more is written.
        self.closing = False
        self.wire_paused = False
        #: The transport's own ``write`` while the socket is open (set on connect), else nothing.
        self.wire_write: Callable[[bytes], object] = _ignore
        self.wire_on_resume: Callable[[], None] | None = None
        self.on_text: OnText | None = None
        self.on_closed: OnClosed | None = None
        self._closed_told = False
        #: Before the app listens: ASGI events not yet received, and the receive waiting for one.
        self._inbox: deque[dict[str, Any]] | None = deque()
        self._waiter: asyncio.Future[None] | None = None
        #: A fragmented message being put together: its kind and parts so far.
        self._fragments: list[bytes] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._pong_due = False

    # -- picows callbacks ------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self._raw = transport.underlying_transport
        self.wire_write = self._raw.write
        self._connections.add(self)
        if self._ping_interval is not None:
            self._timer = asyncio.get_running_loop().call_later(self._ping_interval, self._ping)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is _TEXT and frame.fin and self._fragments is None and not frame.rsv1:
            if self.closing:
                return
            try:
                text = frame.get_payload_as_utf8_text()
            except UnicodeDecodeError:
                self._fail(1007, "invalid UTF-8")
                return
            if self.on_text is not None:
                self.on_text(text)
            else:
                self._queue({"type": "websocket.receive", "text": text})
        elif kind is _CLOSE:
            self._peer_closed(frame)
        elif kind is _PONG:
            self._pong_due = False
        elif frame.rsv1 or frame.rsv2 or frame.rsv3:
            self._fail(1002, "reserved bits set")
        elif kind is _TEXT or kind is _BINARY or kind is _CONTINUATION:
            self._data(kind, frame)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._closing()
        self._connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        self._closed(1006)

    def pause_writing(self) -> None:
        self.wire_paused = True

    def resume_writing(self) -> None:
        self.wire_paused = False
        if self.wire_on_resume is not None:
            self.wire_on_resume()

    # -- messages ----------------------------------------------------------------------------

    def _data(self, kind: WSMsgType, frame: WSFrame) -> None:
        """A binary message, a fragment, or a message out of turn: the unusual ones, put together
        here with the same size cap as a single frame."""
        if kind is _CONTINUATION:
            if self._fragments is None:
                self._fail(1002, "unexpected continuation frame")
                return
        elif self._fragments is not None:
            self._fail(1002, "expected a continuation frame")
            return
        else:
            self._fragments = [b"t" if kind is _TEXT else b"b"]
        self._fragments.append(frame.get_payload_as_bytes())
        if sum(len(part) for part in self._fragments) - 1 > self._max_size:
            self._fail(1009, "message too big")
            return
        if not frame.fin:
            return
        parts, self._fragments = self._fragments, None
        data = b"".join(parts[1:])
        if self.closing:
            return
        if parts[0] == b"t":
            try:
                text = data.decode()
            except UnicodeDecodeError:
                self._fail(1007, "invalid UTF-8")
                return
            if self.on_text is not None:
                self.on_text(text)
            else:
                self._queue({"type": "websocket.receive", "text": text})
        elif self.on_text is not None:
            self.on_text(data.decode("utf-8", errors="replace"))
        else:
            self._queue({"type": "websocket.receive", "bytes": data})

    def _queue(self, event: dict[str, Any]) -> None:
        inbox = self._inbox
        if inbox is None:
            return
        inbox.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if len(inbox) >= INBOX_LIMIT and self._raw is not None and not self.closing:
            self._raw.pause_reading()

    async def receive(self) -> dict[str, Any]:
        """The next ASGI event for an app that has not listened (yet)."""
        inbox = self._inbox
        assert inbox is not None, "the app listens to this socket"
        while not inbox:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        event = inbox.popleft()
        if len(inbox) == INBOX_LIMIT - 1 and self._raw is not None and not self.closing:
            self._raw.resume_reading()
        return event

    def _closed(self, code: int, reason: str = "") -> None:
        """The app is told once that the socket is done: the callback, or a disconnect event."""
        if self._closed_told:
            return
        self._closed_told = True
        if self.on_closed is not None:
            self.on_closed()
        else:
            self._queue({"type": "websocket.disconnect", "code": code, "reason": reason})

    # -- the Wire ------------------------------------------------------------------------------

    def _closing(self) -> None:
        """Nothing more is written from here on."""
        self.closing = True
        self.wire_write = _ignore

    def wire_close(self, code: int, reason: str) -> None:
        """Send a close frame after what was written; the peer has ``CLOSE_TIMEOUT`` seconds to
        answer it. The app is done with the socket from here on."""
        raw = self._raw
        if self.closing or raw is None:
            return
        self._closing()
        raw.write(close_frame(code, reason))
        if self._inbox is not None and len(self._inbox) >= INBOX_LIMIT:
            raw.resume_reading()  # the peer's answer must be read
        self._close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._drop)
        self._closed(code, reason)

    def wire_listen(self, on_text: OnText, on_closed: OnClosed) -> None:
        inbox, self._inbox = self._inbox, None
        self._waiter = None
        self.on_text = on_text
        self.on_closed = on_closed
        paused = inbox is not None and len(inbox) >= INBOX_LIMIT
        for event in inbox or ():
            if event["type"] == "websocket.disconnect":
                on_closed()
                return
            text = event.get("text")
            on_text(text if text is not None else event["bytes"].decode("utf-8", errors="replace"))
        if paused and self._raw is not None and not self.closing:
            self._raw.resume_reading()

    def send_text(self, text: str) -> None:
        """ASGI ``websocket.send``: one frame, written now."""
        if self.closing:
            raise Disconnected("the socket is closed")
        assert self.transport is not None
        self.transport.send(_TEXT, text.encode())

    def send_bytes(self, data: bytes) -> None:
        if self.closing:
            raise Disconnected("the socket is closed")
        assert self.transport is not None
        self.transport.send(_BINARY, data)

    # -- closing -------------------------------------------------------------------------------

    def _peer_closed(self, frame: WSFrame) -> None:
        raw = self._raw
        assert raw is not None
        if self.closing:  # the answer to our close: the handshake is complete
            if self._close_timer is not None:
                self._close_timer.cancel()
                self._close_timer = None
            raw.close()
            return
        self._closing()
        code = frame.get_close_code().value if frame.payload_size >= 2 else 1005
        answer = code if code in _PEER_CODES or 3000 <= code < 5000 else 1000
        raw.write(close_frame(answer) if code != 1005 else b"\x88\x00")
        raw.close()
        self._closed(code)

    def _fail(self, code: int, reason: str) -> None:
        """A protocol error of the peer's: close with ``code`` and end the socket now."""
        raw = self._raw
        self._fragments = None
        if self.closing or raw is None:
            return
        self._closing()
        raw.write(close_frame(code, reason))
        raw.close()
        self._closed(code, reason)

    def _drop(self) -> None:
        """The peer never answered our close: cut it off without waiting for its unread bytes."""
        self._close_timer = None
        raw = self._raw
        if raw is None:
            return
        sock = raw.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_NOW)
        raw.abort()

    def shutdown(self) -> None:
        """The server is stopping: close with 1012 (already closing: cut off now)."""
        raw = self._raw
        if raw is None:
            return
        if not self.closing:
            self._closing()
            raw.write(close_frame(1012))
            self._closed(1012)
        raw.close()

    # -- heartbeat -----------------------------------------------------------------------------

    def _ping(self) -> None:
        """Every interval a ping; a peer that has not answered the last one within the timeout is
        closed with 1011, so a dead peer is noticed within interval + timeout."""
        self._timer = None
        if self.closing or self.transport is None:
            return
        loop = asyncio.get_running_loop()
        if self._pong_due:
            self._fail(1011, "keepalive ping timeout")
            return
        self._pong_due = True
        self.transport.send_ping(b"")
        interval = self._ping_interval or 0.0
        if self._ping_timeout is None:
            self._timer = loop.call_later(interval, self._ping)
        else:
            self._timer = loop.call_later(self._ping_timeout, self._check)

    def _check(self) -> None:
        self._timer = None
        if self.closing:
            return
        if self._pong_due:
            self._fail(1011, "keepalive ping timeout")
            return
        wait = max(0.0, (self._ping_interval or 0.0) - (self._ping_timeout or 0.0))
        self._timer = asyncio.get_running_loop().call_later(wait, self._ping)
