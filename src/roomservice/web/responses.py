"""JSON responses encoded with msgspec, and the one error shape every client sees."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import JSONResponse


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSON:
    return JSON({"error": {"code": code, "message": message, **extra}}, status, headers=headers)
