"""``/healthz``: liveness plus database reachability."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roomservice import __version__
from roomservice.web.deps import ServicesDep
from roomservice.web.responses import JSON

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health and database reachability")
async def healthz(svc: ServicesDep) -> Response:
    db_ok = await svc.db.ping()
    body = {
        "status": "ok" if db_ok else "degraded",
        "database": {"ok": db_ok, "backend": "sqlite" if svc.db.sqlite else "postgresql"},
        "version": __version__,
    }
    return JSON(body, 200 if db_ok else 503)
