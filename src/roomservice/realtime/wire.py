"""The direct path to a socket, when the server offers one.

Server-to-client frames are unmasked, so a broadcast is framed once and the same bytes are written
to every receiver; a connection joins everything queued for it in one event-loop pass into a single
write. Inbound, a socket that is listened to hands each message to a plain callback as it is parsed,
every message of one read in the same pass, with no queue and no task per socket. The ASGI
``send``/``receive`` path stays the portable fallback.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

#: The ASGI scope extension under which a server offers its :class:`Wire`.
EXTENSION = "roomservice.wire"

_FIN_TEXT = 0x81
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")

#: Receives one client message as text (binary messages are read as UTF-8 with replacements).
OnText = Callable[[str], None]
#: Called once when the socket is done: the peer closed it or went away, or the server closed it.
OnClosed = Callable[[], None]


class Wire(Protocol):
    """What a connection needs from the socket under it to read and write frames itself.

    ``wire_paused`` and ``wire_write`` are attributes rather than methods: they are read for every
    write, and ``wire_write`` may then be the transport's own ``write``."""

    #: Called when a paused socket can take writes again.
    wire_on_resume: Callable[[], None] | None
    #: True while the socket's write buffer is over its high-water mark.
    wire_paused: bool
    #: Writes whole, already framed WebSocket frames (nothing, once the socket is closing).
    wire_write: Callable[[bytes], object]

    def wire_close(self, code: int, reason: str) -> None:
        """Send a close frame after everything written so far and end the socket."""

    def wire_listen(self, on_text: OnText, on_closed: OnClosed) -> None:
        """From now on hand every message to ``on_text`` as it arrives (those that came before first)
        and call ``on_closed`` once at the end; the ASGI call may then return with the socket open."""


#: The heads of text frames of up to ``len(HEADS) - 1`` bytes, by length: most frames' sizes.
HEADS = tuple(
    bytes((_FIN_TEXT, size)) if size < 126 else _MEDIUM.pack(_FIN_TEXT, 126, size) for size in range(2048)
)


def frame_text(text: str) -> bytes:
    """One unmasked, final text frame carrying ``text``: the bytes every receiver gets."""
    payload = text.encode()
    size = len(payload)
    if size < 2048:
        return HEADS[size] + payload
    if size < 65536:
        return _MEDIUM.pack(_FIN_TEXT, 126, size) + payload
    return _LONG.pack(_FIN_TEXT, 127, size) + payload


class Flushable(Protocol):
    def flush(self) -> None:
        """Write what is queued."""


class Flushes:
    """The sockets with frames queued in this event-loop pass, written together at its end by one
    callback, instead of one scheduled callback per socket."""

    __slots__ = ("_due",)

    def __init__(self) -> None:
        self._due: list[Flushable] = []

    def add(self, socket: Flushable) -> None:
        """Flush ``socket`` once at the end of this pass; the caller adds each socket once a pass."""
        if not self._due:
            asyncio.get_running_loop().call_soon(self._run)
        self._due.append(socket)

    def _run(self) -> None:
        due, self._due = self._due, []
        for socket in due:
            try:
                socket.flush()
            except Exception:
                log.exception("writing to a socket failed")
