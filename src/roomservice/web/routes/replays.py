"""``/api/replays``: finished games, step by step, as a spectator saw them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from roomservice.errors import Unauthorized
from roomservice.web import bodies, operators
from roomservice.web.deps import ServicesDep, authenticate, token_of
from roomservice.web.openapi import body, errors
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/replays", tags=["replays"])


@router.get(
    "/{game_id}",
    summary="The replay of a finished game",
    responses={**body(bodies.Replay), **errors(404, 409)},
)
async def get_replay(game_id: str, request: Request, svc: ServicesDep) -> Response:
    """No session is needed for a public room's game; a private room's needs one of its members or
    the game's players (or the admin token as the bearer), and anyone else gets the 404 of an
    unknown id."""
    if operators.matches(operators.presented(request), request.app.state.admin_token):
        return JSON(await svc.replays.get(game_id, None, anyone=True))
    session_id: str | None = None
    if token_of(request, svc.settings.session_cookie):
        try:
            session_id = (await authenticate(request, svc)).session_id
        except Unauthorized:
            session_id = None  # an expired session sees what anyone sees
    return JSON(await svc.replays.get(game_id, session_id))
