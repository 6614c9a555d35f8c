"""What the client raises: coded HTTP errors and the end of a socket."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer: its status and the server's ``{"error": {code, message, ...}}``.

    ``extra`` holds the error's other fields, e.g. ``room`` for ``already_in_room``, ``rooms`` for
    ``room_limit``, ``fields`` for ``validation_error``.
    """

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra: dict[str, Any] = extra or {}


class SocketClosed(Exception):
    """The socket stopped for good: closed by the user, or by the server with a code that means
    "do not come back" (bad token, replaced by a newer socket, refused, rate-limit abuse, frame too big).

    ``error`` is the code of the ``error`` frame the server sent just before closing, if any
    (``session_replaced``, ``already_connected``, ``invalid_token`` …).
    """

    def __init__(self, code: int, reason: str = "", error: str | None = None) -> None:
        super().__init__(f"socket closed ({code}{' ' + reason if reason else ''})")
        self.code = code
        self.reason = reason
        self.error = error
