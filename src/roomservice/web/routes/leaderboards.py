"""``/api/leaderboards``: each game's players ranked by the score the game declares."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from roomservice.web import bodies
from roomservice.web.deps import ServicesDep, authenticate
from roomservice.web.openapi import body, errors
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/leaderboards", tags=["leaderboards"])


@router.get(
    "/{game}",
    summary="A game's leaderboard: ranks shared by ties (1, 1, 3), best first",
    responses={**body(bodies.LeaderboardPage), **errors(401, 404)},
)
async def leaderboard(
    game: str,
    request: Request,
    svc: ServicesDep,
    limit: int = 20,
    offset: int = 0,
    around: str | None = None,
) -> Response:
    # Only ``around=me`` needs to know the caller; the board itself is public.
    session = await authenticate(request, svc) if around == "me" else None
    body = await svc.leaderboards.page(game, limit=limit, offset=offset, around=around, session=session)
    return JSON(body)
