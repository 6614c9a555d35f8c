"""Coded errors. Every failure a client can see is one of these: an HTTP status plus a stable code."""

from __future__ import annotations

from typing import Any


class RoomServiceError(Exception):
    """An error a client sees as ``{"error": {"code", "message", **extra}}`` with ``status``."""

    status: int = 400

    def __init__(self, code: str, message: str, status: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


class NotFound(RoomServiceError):
    status = 404


class Conflict(RoomServiceError):
    status = 409


class Forbidden(RoomServiceError):
    status = 403


class Unauthorized(RoomServiceError):
    status = 401


class Invalid(RoomServiceError):
    status = 422


class ClusterUnavailable(RoomServiceError):
    """503 ``cluster_unavailable``: several nodes serve, and Redis (or the node owning a room) does not
    answer. Nothing was changed that a client could miss; trying again later is safe."""

    status = 503

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "cluster_unavailable",
            "The cluster cannot serve this now (Redis does not answer); try again soon.",
        )
        self.detail = detail
