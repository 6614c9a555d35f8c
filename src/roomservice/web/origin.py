"""Cross-site protection: the session cookie only counts for pages of this server (or allowed origins).

A browser sends the cookie with requests another site's page makes, so a request authenticated by the
cookie must come from a page we trust. A bearer token (or a socket ticket) is never sent by a browser on
its own, so those requests are fine from anywhere, and so are requests that name no origin (curl).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from roomservice.web.responses import error_response

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

CROSS_ORIGIN = "cross_origin"
CROSS_ORIGIN_MESSAGE = (
    "This request comes from a page of another site and is authenticated only by the session cookie; "
    "use an Authorization: Bearer token, or add the site to ROOMSERVICE_ALLOWED_ORIGINS."
)


def normalize(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case without the scheme's default port; None if not a URL."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def parse_origins(value: str) -> frozenset[str]:
    """``ROOMSERVICE_ALLOWED_ORIGINS``: comma-separated origins."""
    return frozenset(o for o in (normalize(p) for p in value.split(",") if p.strip()) if o)


def _authority(origin: str) -> str:
    return origin.split("://", 1)[1]


def page_origin(headers: Headers) -> str | None:
    """The origin of the page that made the request: ``Origin``, else the origin of ``Referer``.
    None when neither is sent; ``"null"`` (an opaque origin) or junk never matches anything."""
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        if referer is None:
            return None
        return normalize(referer) or "null"
    return normalize(origin) or "null"


def trusted(headers: Headers, allowed: frozenset[str]) -> bool:
    """Whether a request may use the session cookie: no page origin, or this server's, or allowed.

    This server's origin is the one whose host and port are the request's ``Host`` (any scheme: behind a
    TLS proxy the server may see ``http`` while the page is ``https``)."""
    origin = page_origin(headers)
    if origin is None:
        return True
    if origin in allowed:
        return True
    host = headers.get("host")
    if not host or origin == "null":
        return False
    own = normalize(f"{origin.split('://', 1)[0]}://{host}")
    return own is not None and _authority(own) == _authority(origin)


def bearer(headers: Headers) -> bool:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(value.strip())


class OriginGuard:
    """Refuses (403 ``cross_origin``) state-changing requests from a foreign page that carry no bearer
    token: those could only be authenticated by the cookie the browser adds."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            headers = Headers(scope=scope)
            if not bearer(headers) and not trusted(headers, self.allowed):
                response = error_response(403, CROSS_ORIGIN, CROSS_ORIGIN_MESSAGE)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
