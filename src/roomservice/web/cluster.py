"""A node of several while Redis does not answer: every API request is answered 503
``cluster_unavailable`` at once (sockets stay open; pages and ``/healthz`` are served)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from roomservice.errors import ClusterUnavailable
from roomservice.web.responses import error_response


class ClusterGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            services = getattr(scope["app"].state, "services", None)
            cluster = getattr(services, "cluster", None)
            if cluster is not None and not cluster.reachable:
                refused = ClusterUnavailable()
                await error_response(refused.status, refused.code, refused.message)(scope, receive, send)
                return
        await self.app(scope, receive, send)
