"""``/api/games``: the catalogue."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roomservice.web import bodies
from roomservice.web.deps import ServicesDep
from roomservice.web.openapi import body, errors
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/games", tags=["games"])


@router.get("", summary="Every game this server can host", responses={**body(bodies.Games), **errors()})
async def list_games(svc: ServicesDep) -> Response:
    return JSON({"games": [game.info().to_dict() for game in svc.games]})


@router.get("/{game_id}", summary="One game", responses={**body(bodies.Game), **errors(404)})
async def get_game(game_id: str, svc: ServicesDep) -> Response:
    game = svc.games.get(game_id)
    return JSON({**game.info().to_dict(), "options_schema": game.options_schema})
