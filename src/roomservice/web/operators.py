"""The bearer tokens of the operators' endpoints (``/metrics``, the admin console).

An endpoint whose feature is off answers exactly as an unknown path does (404 ``not_found``), so a
scan cannot tell it exists. When on, it wants ``Authorization: Bearer <token>``: none is 401, a wrong
one 403. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import logging

from starlette.requests import HTTPConnection

from roomservice.errors import Forbidden, NotFound, Unauthorized

log = logging.getLogger("roomservice.admin")


def not_found() -> NotFound:
    """What an unknown path answers (``errors.install`` turns Starlette's 404 into this body)."""
    return NotFound("not_found", "Not Found")


def presented(conn: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    scheme, _, value = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def matches(given: str | None, expected: str) -> bool:
    return given is not None and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def require(conn: HTTPConnection, expected: str, what: str) -> None:
    """Raise 401 without a bearer token, 403 (and log it) with a wrong one."""
    given = presented(conn)
    if given is None:
        raise Unauthorized("unauthorized", f"The {what} needs its token as Authorization: Bearer <token>.")
    if not matches(given, expected):
        client = conn.client.host if conn.client else "-"
        log.warning("%s: a wrong token from %s for %s", what, client, conn.url.path, extra={"client": client})
        raise Forbidden("invalid_token", f"That is not the {what}'s token.")
