"""``/api/rooms``: the lobby and every room operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, StrictBool
from starlette.responses import Response

from roomservice.errors import RoomServiceError
from roomservice.model import Session
from roomservice.rooms import codes
from roomservice.rooms.lobby import LIMIT_MAX, LobbyQuery, list_rooms
from roomservice.rooms.model import Room
from roomservice.services import Services
from roomservice.types import RoomState
from roomservice.web import bodies
from roomservice.web.deps import ServicesDep, SessionDep, authenticate, services_of
from roomservice.web.openapi import body, errors
from roomservice.web.ratelimit import client_address, limits_of
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/rooms", tags=["rooms"])


class CreateRoom(BaseModel):
    name: Any = None
    game: str
    password: str | None = None
    # Strict: ``"yes"`` or ``1`` is a client bug, not ``true``.
    private: StrictBool = False
    #: Checked field by field by the room's config rules (``invalid_config``), as on PATCH.
    config: dict[str, Any] | None = None


class JoinRoom(BaseModel):
    password: str | None = None
    spectator: StrictBool = False


class StartGame(BaseModel):
    #: The game's options (its ``options_schema``); checked by the game itself.
    options: dict[str, Any] | None = None


class Kick(BaseModel):
    session_id: str


#: How PATCH /config is documented; the body is checked by the room's config rules, so an unknown
#: field or a wrong type is ``invalid_config`` exactly as in a create.
_CONFIG_PATCH = Body(
    openapi_examples={
        "seats": {
            "summary": "Four seats, spectators welcome",
            "value": {"max_players": 4, "allow_spectators": True},
        }
    },
    description="Any of max_players, min_players, timeout_seconds, reconnect_grace_seconds, bots "
    "(integers), allow_spectators, keep_when_empty (true/false); null keeps the current value.",
)


def room_body(room: Room) -> dict[str, Any]:
    data = room.to_dict()
    return {
        "room_code": room.room_code,
        "room_id": room.room_id,
        "room": data,
        "players": data["players"],
    }


@router.get("", summary="The lobby: public rooms", responses={**body(bodies.Lobby), **errors()})
async def lobby(
    svc: ServicesDep,
    game: str | None = None,
    state: RoomState | None = None,
    has_password: bool | None = None,
    q: Annotated[str | None, Query(max_length=40)] = None,
    free_seats: bool | None = None,
    sort: str = "created_at",
    order: str = "desc",
    limit: Annotated[int, Query(description=f"1..{LIMIT_MAX}; else invalid_limit")] = 20,
    cursor: str | None = None,
) -> Response:
    query = LobbyQuery(game, state, has_password, q, free_seats, sort, order, limit, cursor)
    page, next_cursor = await list_rooms(svc.db, query)
    return JSON({"rooms": [r.to_dict() for r in page], "next_cursor": next_cursor})


@router.post(
    "",
    status_code=201,
    summary="Create a room; the creator joins as host",
    responses={**body(bodies.RoomBody, 201), **errors(401, 403, 404, 409, 429, 503)},
)
@router.post("/create", status_code=201, include_in_schema=False)
async def create_room(body: CreateRoom, request: Request, session: SessionDep, svc: ServicesDep) -> Response:
    await limits_of(request).rooms.take(client_address(request))
    room = await svc.rooms.create(
        session,
        name=body.name,
        game=body.game,
        password=body.password,
        private=body.private,
        config=body.config,
    )
    await svc.hub.seated(session.session_id, room)
    return JSON(room_body(room), 201)


@router.get(
    "/mine",
    summary="Rooms the current session (or its account) created",
    responses={**body(bodies.Rooms), **errors(401)},
)
async def my_rooms(session: SessionDep, svc: ServicesDep) -> Response:
    return JSON({"rooms": [r.to_dict() for r in await svc.rooms.created_by(session)]})


@router.get("/{code}", summary="One room, by code", responses={**body(bodies.RoomBody), **errors(404, 503)})
async def get_room(code: str, svc: ServicesDep) -> Response:
    return JSON(await room_and_node(svc, await svc.rooms.get(code)))


async def room_and_node(svc: Services, room: Room) -> dict[str, Any]:
    """The room's body and, for operators, the node running it (its lease holder; None while none)."""
    return {**room_body(room), "node": await svc.leases.owner(room.room_id)}


# join and leave are the hottest routes. Each is documented (and can always be served) like the
# others, but is served by a plain function of the request when it can: FastAPI's per-call work
# (solving dependencies as a graph, a body model) costs more than the room operation itself.

FastPath = Callable[[Request], Awaitable[Response | None]]


def _served_by(fast: FastPath) -> type[APIRoute]:
    """A route class whose requests go to ``fast`` first; FastAPI's own handler takes those it
    declines (returns None), so every unusual request gets the usual validation and errors."""

    class Route(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            standard = super().get_route_handler()

            async def handler(request: Request) -> Response:
                response = await fast(request)
                return response if response is not None else await standard(request)

            return handler

    return Route


async def _join(request: Request, code: str, password: str | None, spectator: bool) -> Response:
    svc = services_of(request)
    session = await authenticate(request, svc)
    if password:
        room = await _join_with_password(request, svc, session, code, password, spectator)
    else:
        room = await svc.rooms.join(session, code, password=password, spectator=spectator)
    await svc.hub.seated(session.session_id, room)
    return JSON(room_body(room))


async def _join_with_password(
    request: Request, svc: Services, session: Session, code: str, password: str, spectator: bool
) -> Room:
    """A password attempt is counted before its hash is computed, so a loop of guesses is refused
    cheaply; the attempt is given back unless the password turned out wrong."""
    limits = limits_of(request)
    address, room_key = client_address(request), codes.normalize(code)
    await limits.passwords.take(address)
    try:
        await limits.room_passwords.take(room_key)
    except RoomServiceError:
        await limits.passwords.give_back(address)
        raise
    wrong = False
    try:
        return await svc.rooms.join(session, code, password=password, spectator=spectator)
    except RoomServiceError as exc:
        wrong = exc.code == "wrong_password"
        raise
    finally:
        if not wrong:
            await limits.passwords.give_back(address)
            await limits.room_passwords.give_back(room_key)


async def _join_fast(request: Request) -> Response | None:
    """No body, or a JSON object whose fields already have their types; anything else is FastAPI's."""
    raw = await request.body()
    password: object = None
    spectator: object = False
    if raw:
        if not request.headers.get("content-type", "").startswith("application/json"):
            return None
        try:
            data = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return None
        if not isinstance(data, dict):
            return None
        password, spectator = data.get("password"), data.get("spectator", False)
    if not (password is None or isinstance(password, str)) or not isinstance(spectator, bool):
        return None
    return await _join(request, request.path_params["code"], password, spectator)


async def join_room(code: str, request: Request, body: JoinRoom | None = None) -> Response:
    body = body or JoinRoom()
    return await _join(request, code, body.password, body.spectator)


async def _leave(request: Request) -> Response:
    code = request.path_params["code"]
    svc = services_of(request)
    session = await authenticate(request, svc)
    room = await svc.rooms.leave(session, code)
    if room is not None:
        room = await _as_the_game_left_it(svc, room)
    if room is None:
        return JSON({"room_code": code.upper(), "room": None, "deleted": True})
    return JSON({**room_body(room), "deleted": False})


async def leave_room(code: str, request: Request) -> Response:
    return await _leave(request)


router.add_api_route(
    "/{code}/join",
    join_room,
    methods=["POST"],
    summary="Take a seat (or a spectator's place)",
    responses={**body(bodies.RoomBody), **errors(401, 403, 404, 409, 429)},
    route_class_override=_served_by(_join_fast),
)
router.add_api_route(
    "/{code}/leave",
    leave_room,
    methods=["POST"],
    summary="Give up your seat",
    responses={**body(bodies.LeftRoom), **errors(401, 403, 404, 409)},
    route_class_override=_served_by(_leave),
)


@router.post(
    "/{code}/start",
    summary="Start the game, or a new one after a game (host)",
    responses={**body(bodies.RoomBody), **errors(401, 403, 404, 409)},
)
async def start_room(
    code: str, session: SessionDep, svc: ServicesDep, body: StartGame | None = None
) -> Response:
    options = body.options if body is not None else None
    return JSON(room_body(await svc.engine.start(session, code, options)))


@router.patch(
    "/{code}/config",
    summary="Change the room's config (host, not during a game)",
    responses={**body(bodies.RoomBody), **errors(401, 403, 404, 409)},
)
async def configure_room(
    code: str, body: Annotated[dict[str, Any], _CONFIG_PATCH], session: SessionDep, svc: ServicesDep
) -> Response:
    return JSON(room_body(await svc.rooms.configure(session, code, body)))


@router.post(
    "/{code}/end",
    summary="End the running game (host): FINISHED, result.abandoned",
    responses={**body(bodies.RoomBody), **errors(401, 403, 404, 409)},
)
async def end_game(code: str, session: SessionDep, svc: ServicesDep) -> Response:
    return JSON(room_body(await svc.engine.end(session, code)))


@router.post(
    "/{code}/kick",
    summary="Remove a member (host)",
    responses={**body(bodies.RoomBody), **errors(401, 403, 404, 409)},
)
async def kick(code: str, body: Kick, session: SessionDep, svc: ServicesDep) -> Response:
    room = await svc.rooms.kick(session, code, body.session_id)
    return JSON(room_body(await _as_the_game_left_it(svc, room)))


async def _as_the_game_left_it(svc: Services, room: Room) -> Room:
    """A seat lost during a game goes to the game first (it may end it): answer once it has."""
    if room.state is not RoomState.IN_GAME:
        return room
    await svc.engine.settle(room.room_id)
    return await svc.rooms.get_by_id(room.room_id) or room


@router.delete(
    "/{code}", summary="Close the room (host)", responses={**body(bodies.Deleted), **errors(401, 403, 404)}
)
async def delete_room(code: str, session: SessionDep, svc: ServicesDep) -> Response:
    room = await svc.rooms.delete(session, code)
    return JSON({"room_code": room.room_code, "room_id": room.room_id, "deleted": True})
