"""Request bodies the app can handle: at most ``max_body`` bytes, and JSON that is I-JSON with text
that a database can store (no NUL). Paths and queries hold no NUL either.

Bodies are checked before any route sees them, so no endpoint can be made to parse 20 MB, recurse
without end, store a number the database cannot hold or a string no encoder accepts. A body over the
limit is refused with 413 as soon as ``Content-Length`` or the bytes received so far say so.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomservice.web.responses import error_response

#: Integers a body may hold: those of a signed 64-bit column.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _is_json(content_type: str | None) -> bool:
    """FastAPI reads a body as JSON when it has no content type or a JSON one."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def json_problem(body: bytes, max_depth: int) -> str | None:
    """Why ``body`` is refused, or None when it is fine (or not JSON at all: that is the route's 422)."""
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        return f"The JSON body is nested deeper than {max_depth} levels."
    except msgspec.ValidationError:
        return "The JSON body holds a number out of range."
    except msgspec.DecodeError:
        # Not JSON for msgspec. What Python's parser would still accept (a lone surrogate in a string,
        # NaN, Infinity) is refused here; plain malformed JSON is left to the route.
        try:
            json.loads(body)
        except RecursionError:
            return f"The JSON body is nested deeper than {max_depth} levels."
        except ValueError:
            return None
        return "The JSON body holds a lone surrogate, NaN or Infinity."
    return _walk(value, max_depth)


_NUL = "The JSON body holds a NUL character, which no text may contain."


def _walk(value: Any, max_depth: int) -> str | None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"The JSON body is nested deeper than {max_depth} levels."
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if not isinstance(child, float))
            if isinstance(item, dict) and any("\x00" in key for key in item):
                return _NUL
        elif isinstance(item, str):
            if "\x00" in item:
                return _NUL
        elif isinstance(item, int) and not isinstance(item, bool) and not INT_MIN <= item <= INT_MAX:
            return "The JSON body holds a number out of range."
    return None


class BodyGuard:
    """Reads each request body (up to ``max_body`` bytes) before the app, then replays it."""

    def __init__(self, app: ASGIApp, max_body: int, max_depth: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            nul = "The path and query cannot hold a NUL character."
            await error_response(422, "validation_error", nul)(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending the whole body: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(headers.get("content-type")):
            problem = json_problem(body, self.max_depth)
            if problem is not None:
                await error_response(422, "invalid_json", problem)(scope, receive, send)
                return
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_body} bytes."
        await error_response(413, "payload_too_large", message, limit=self.max_body)(scope, receive, send)
