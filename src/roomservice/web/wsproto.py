"""uvicorn's sans-I/O WebSocket protocol, offering the app a direct write path (``realtime.wire``).

Everything else (handshake, reading frames, pings, the ASGI ``send``) is uvicorn's. Through the
``roomservice.wire`` scope extension a connection writes frames it framed itself straight to the
transport, several at a time, instead of one ASGI message, one framing and one ``send()`` system call
per frame per receiver.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

from roomservice.realtime.wire import EXTENSION

_LINGER_NOW = struct.pack("ii", 1, 0)


class DirectWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wire_on_resume: Callable[[], None] | None = None

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # the handshake was accepted: the app runs with this scope
            scope["extensions"][EXTENSION] = self
        # The handshake's request and response are not needed once answered.
        self.request = None  # type: ignore[assignment]

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.wire_on_resume is not None:
            self.wire_on_resume()

    def wire_writable(self) -> bool:
        return self.writable.is_set()

    def wire_write(self, data: bytes) -> None:
        if self.handshake_complete and not self.close_sent and not self.transport.is_closing():
            self.transport.write(data)

    def wire_close(self, code: int, reason: str) -> None:
        """The ASGI ``websocket.close``, done now; a peer that has not answered the close in time is
        cut off without waiting for its unread bytes (SO_LINGER 0)."""
        if not self.handshake_complete or self.close_sent or self.transport.is_closing():
            return
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self._drop)

    def _drop(self) -> None:
        self.close_timer = None
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_NOW)
        self.transport.abort()
