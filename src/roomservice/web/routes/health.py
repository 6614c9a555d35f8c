"""``/healthz``: liveness plus database reachability."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from roomservice import __version__
from roomservice.web.deps import ServicesDep
from roomservice.web.openapi import errors
from roomservice.web.responses import JSON

router = APIRouter(tags=["health"])


class Database(BaseModel):
    ok: bool
    backend: Literal["sqlite", "postgresql"]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Database
    version: str


@router.get(
    "/healthz",
    summary="Health and database reachability",
    responses={
        200: {"model": Health, "description": "The server and its database answer"},
        503: {"model": Health, "description": "The database does not answer: `degraded`"},
        **errors(),
    },
)
async def healthz(svc: ServicesDep) -> Response:
    db_ok = await svc.db.ping()
    body = {
        "status": "ok" if db_ok else "degraded",
        "database": {"ok": db_ok, "backend": "sqlite" if svc.db.sqlite else "postgresql"},
        "version": __version__,
    }
    return JSON(body, 200 if db_ok else 503)
