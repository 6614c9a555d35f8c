"""``/api/matchmaking``: tickets for a game's queue, and how busy the queue is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from roomservice.web import bodies
from roomservice.web.deps import ServicesDep, SessionDep
from roomservice.web.openapi import body, errors
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/matchmaking", tags=["matchmaking"])


class Queue(BaseModel):
    #: The game's options (its ``options_schema``); tickets only meet tickets with the same options.
    options: Any = None


@router.post(
    "/{game}/tickets",
    status_code=201,
    summary="Queue for a game: a searching ticket",
    responses={**body(bodies.Ticket, 201), **errors(401, 403, 404, 409)},
)
async def queue(game: str, session: SessionDep, svc: ServicesDep, body: Queue | None = None) -> Response:
    ticket = await svc.matchmaker.file(session, game, body.options if body is not None else None)
    return JSON(ticket.to_dict(), 201)


@router.get(
    "/tickets/{ticket_id}",
    summary="One of your tickets",
    responses={**body(bodies.Ticket), **errors(401, 404)},
)
async def get_ticket(ticket_id: str, session: SessionDep, svc: ServicesDep) -> Response:
    return JSON((await svc.matchmaker.ticket(session, ticket_id)).to_dict())


@router.delete(
    "/tickets/{ticket_id}",
    summary="Cancel a searching ticket",
    responses={**body(bodies.Cancelled), **errors(401, 403, 404, 409)},
)
async def cancel_ticket(ticket_id: str, session: SessionDep, svc: ServicesDep) -> Response:
    ticket = await svc.matchmaker.cancel(session, ticket_id)
    return JSON({"status": ticket.status.value})


@router.get(
    "/{game}",
    summary="A game's queue: tickets searching, rooms filling, the median wait",
    responses={**body(bodies.QueueStats), **errors(404)},
)
async def queue_stats(game: str, svc: ServicesDep) -> Response:
    stats = await svc.matchmaker.stats(game)
    body: dict[str, Any] = {
        "searching": stats.searching,
        "open_rooms": stats.open_rooms,
        "median_wait_seconds": stats.median_wait_seconds,
    }
    return JSON(body)
