"""``/api/session``: create, read and rename a guest session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from roomservice.web.deps import ServicesDep, SessionDep
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/session", tags=["session"])


class UsernameBody(BaseModel):
    username: Any = None


def _set_cookie(response: Response, request: Request, svc: ServicesDep, token: str) -> None:
    # Secure only over HTTPS, so plain-HTTP local use keeps its session.
    response.set_cookie(
        svc.settings.session_cookie,
        token,
        max_age=svc.settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.post("", status_code=201, summary="Start a guest session")
async def create_session(body: UsernameBody, request: Request, svc: ServicesDep) -> Response:
    session, token = await svc.sessions.create(body.username)
    response = JSON({**session.to_dict(), "token": token}, 201)
    _set_cookie(response, request, svc, token)
    return response


@router.get("", summary="The current session")
async def get_session(session: SessionDep, svc: ServicesDep) -> Response:
    room = await svc.rooms.room_of(session.session_id)
    return JSON({**session.to_dict(), "room_code": room.room_code if room else None})


@router.patch("", summary="Rename the current session")
async def rename_session(body: UsernameBody, session: SessionDep, svc: ServicesDep) -> Response:
    renamed = await svc.sessions.rename(session, body.username)
    return JSON(renamed.to_dict())
