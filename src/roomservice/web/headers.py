"""Headers every response carries: ``nosniff`` everywhere, and the pages' policy on every HTML body."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomservice.web.pages import CSP

#: The interactive API docs load their scripts from a CDN: they keep FastAPI's own headers.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


class SecurityHeaders:
    """Adds ``X-Content-Type-Options: nosniff`` to every response, and to every ``text/html`` response
    without a policy (``/static/*.html``, error pages) the CSP and referrer policy of the page routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                html = headers.get("content-type", "").lower().startswith("text/html")
                if html and not docs and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP
                    headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
