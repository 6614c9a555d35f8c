"""The direct write path to a socket, when the server offers one.

Server-to-client frames are unmasked, so a broadcast is framed once and the same bytes are written
to every receiver; a connection joins everything queued for it in one event-loop pass into a single
write. The ASGI ``send`` path stays the portable fallback.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Protocol

#: The ASGI scope extension under which a server offers its :class:`Wire`.
EXTENSION = "roomservice.wire"

_FIN_TEXT = 0x81
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


class Wire(Protocol):
    """What a connection needs from the socket under it to write frames itself."""

    #: Called when a paused socket can take writes again.
    wire_on_resume: Callable[[], None] | None

    def wire_writable(self) -> bool:
        """False while the socket's write buffer is over its high-water mark."""

    def wire_write(self, data: bytes) -> None:
        """Write whole, already framed WebSocket frames."""

    def wire_close(self, code: int, reason: str) -> None:
        """Send a close frame after everything written so far and end the socket."""


def frame_text(text: str) -> bytes:
    """One unmasked, final text frame carrying ``text``: the bytes every receiver gets."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes((_FIN_TEXT, size)) + payload
    if size < 65536:
        return _MEDIUM.pack(_FIN_TEXT, 126, size) + payload
    return _LONG.pack(_FIN_TEXT, 127, size) + payload
