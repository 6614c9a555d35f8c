"""Turn every failure into ``{"error": {"code", "message"}}`` with its HTTP status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from roomservice.errors import ClusterUnavailable, RoomServiceError
from roomservice.web.ratelimit import RateLimited
from roomservice.web.responses import error_response

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _where(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(RoomServiceError)
    async def coded(_: Request, exc: RoomServiceError) -> Response:
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(RateLimited)
    async def limited(_: Request, exc: RateLimited) -> Response:
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers(), **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        fields = [{"field": _where(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "Invalid request."
        return error_response(422, "validation_error", message, fields=fields)

    @app.exception_handler(HTTPException)
    async def http(_: Request, exc: HTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(RedisError)
    async def redis_down(_: Request, exc: RedisError) -> Response:
        refused = ClusterUnavailable(str(exc))
        return error_response(refused.status, refused.code, refused.message)

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal", "Internal server error.")
