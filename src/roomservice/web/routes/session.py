"""``/api/session``: create, read and rename a guest session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from roomservice.tickets import TICKET_TTL, TicketBook
from roomservice.web import bodies
from roomservice.web.deps import ServicesDep, SessionDep, token_of
from roomservice.web.openapi import body, errors
from roomservice.web.ratelimit import client_address, limits_of
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/session", tags=["session"])


class UsernameBody(BaseModel):
    username: Any = None


def set_session_cookie(response: Response, request: Request, svc: ServicesDep, token: str) -> None:
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


@router.post(
    "",
    status_code=201,
    summary="Start a guest session",
    responses={**body(bodies.NewSession, 201), **errors(403, 429)},
)
async def create_session(body: UsernameBody, request: Request, svc: ServicesDep) -> Response:
    await limits_of(request).sessions.take(client_address(request))
    session, token = await svc.sessions.create(body.username)
    response = JSON({**session.to_dict(), "token": token}, 201)
    set_session_cookie(response, request, svc, token)
    return response


@router.get("", summary="The current session", responses={**body(bodies.CurrentSession), **errors(401)})
async def get_session(session: SessionDep, svc: ServicesDep) -> Response:
    room = await svc.rooms.room_of(session.session_id)
    return JSON({**session.to_dict(), "room_code": room.room_code if room else None})


@router.patch(
    "", summary="Rename the current session", responses={**body(bodies.Session), **errors(401, 403)}
)
async def rename_session(body: UsernameBody, session: SessionDep, svc: ServicesDep) -> Response:
    renamed = await svc.sessions.rename(session, body.username)
    return JSON(renamed.to_dict())


@router.post(
    "/ticket",
    status_code=201,
    summary="A one-time ticket for the socket: /ws?ticket=",
    responses={**body(bodies.SocketTicket, 201), **errors(401, 403)},
)
async def socket_ticket(request: Request, session: SessionDep, svc: ServicesDep) -> Response:
    """Valid once, for 30 seconds, on this server (any node of a cluster): the page opens
    ``/ws?ticket=`` with it instead of putting its long-lived token in a URL."""
    tickets: TicketBook = request.app.state.tickets
    token = token_of(request, svc.settings.session_cookie)
    assert token is not None  # SessionDep authenticated it
    # Several nodes: the ticket is kept in Redis, so the socket may open on any node.
    ticket = await svc.cluster.node.issue_ticket(token) if svc.cluster is not None else tickets.issue(token)
    return JSON({"ticket": ticket, "expires_in": TICKET_TTL}, 201, headers={"Cache-Control": "no-store"})
