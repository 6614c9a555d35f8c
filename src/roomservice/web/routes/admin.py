"""The admin console: ``/admin`` (the page) and ``/api/admin/*`` (what it calls).

Open only with ``ROOMSERVICE_ADMIN_TOKEN`` set: without it every path here is the 404 of an unknown
path; with it the API wants ``Authorization: Bearer <token>`` (401 without, 403 with a wrong one). The
page itself is served to anyone (it holds no data) and asks for the token in the browser.

An operator sees every room, private ones too, and may kick a member, end a stuck game (as the host's
``/end`` does) or close a room; each of those is logged (logger ``roomservice.admin``). What an operator
sees of a game is the spectator view and the public frames: never a player's hidden cards.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from roomservice.broker.base import Envelope
from roomservice.rooms.model import Room
from roomservice.services import Services
from roomservice.types import RoomState
from roomservice.web import bodies, operators, pages
from roomservice.web.deps import ServicesDep
from roomservice.web.openapi import body, errors
from roomservice.web.responses import JSON
from roomservice.web.routes.rooms import Kick, room_body

log = logging.getLogger("roomservice.admin")

#: Recent frames shown of a room (the newest of its resume buffer).
RECENT_FRAMES = 50
#: Rooms listed at most by one search.
ROOMS_MAX = 200


async def operator(request: Request) -> None:
    """The admin token, or the 404 of an unknown path when no console is configured."""
    token: str = request.app.state.admin_token
    if not token:
        raise operators.not_found()
    operators.require(request, token, "admin console")


router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(operator)])
page_router = APIRouter(include_in_schema=False)

_STATUSES = (401, 403, 404)
_Q = "a room code, a game, or part of a room's name or of a member's username"


# -- what the schema says the answers are ---------------------------------------------------


class AdminRoom(bodies.Room):
    #: Sockets attached to the room on this node.
    sockets: int
    #: Seconds since the room was created, and since anything happened in it.
    age_seconds: float
    idle_seconds: float


class AdminRooms(BaseModel):
    rooms: list[AdminRoom]


class AdminMember(bodies.Member):
    #: A socket of this session is attached to the room (a bot is always online).
    online: bool
    host: bool


class AdminFrame(BaseModel):
    seq: int
    type: str
    #: The one session a frame was for, if it was for one.
    to: str | None
    #: The frame as its receivers got it; null when only players got it, each their own view.
    frame: dict[str, Any] | None


class SpectatorGame(BaseModel):
    game_id: str
    game: str
    game_no: int
    version: int
    #: The spectator view of the state: no player's hidden cards.
    state: Any
    result: dict[str, Any] | None


class AdminRoomDetail(BaseModel):
    room: AdminRoom
    members: list[AdminMember]
    frames: list[AdminFrame]
    #: The running (or just finished) game, as a spectator sees it; null when none runs here.
    game: SpectatorGame | None
    #: The replay page of the room's last game, once it is over.
    replay_path: str | None


class OnlineSession(BaseModel):
    session_id: str
    username: str
    #: The room its socket is attached to, if any.
    room_code: str | None
    #: The socket follows the live lobby.
    lobby: bool


class Sessions(BaseModel):
    sessions: list[OnlineSession]


class Figures(BaseModel):
    """A snapshot of the node, for the console's charts (``/metrics`` has the full set)."""

    #: Seconds since the epoch.
    at: float
    #: Counters are collected (``ROOMSERVICE_METRICS``); the counters below are 0 when not.
    metrics: bool
    sockets_open: int
    sessions_online: int
    games_running: int
    rooms: dict[str, int]
    frames_in: int
    frames_out: int
    bytes_in: int
    bytes_out: int
    actions_accepted: int
    actions_refused: int
    http_requests: int
    fanout_count: int
    fanout_seconds: float


# -- helpers ----------------------------------------------------------------------------------


def _sockets(svc: Services, room: Room) -> int:
    chan = svc.hub.presence.channels.get(room.room_id)
    return len(chan.attached) if chan is not None else 0


def _admin_room(svc: Services, room: Room) -> dict[str, Any]:
    now = svc.scheduler.now()
    return {
        **room.to_dict(),
        "sockets": _sockets(svc, room),
        "age_seconds": round(max(0.0, now - room.created_at), 3),
        "idle_seconds": round(max(0.0, now - room.last_activity), 3),
    }


def _frame(envelope: Envelope) -> dict[str, Any]:
    """A frame of the resume buffer as an operator may see it: per-player texts never, only what
    spectators (or everyone) got."""
    public = envelope.text if envelope.views is None or envelope.text else None
    return {
        "seq": envelope.seq,
        "type": envelope.kind,
        "to": envelope.to,
        "frame": msgspec.json.decode(public) if public else None,
    }


def _audit(request: Request, what: str, room: str, **extra: str) -> None:
    client = request.client.host if request.client else "-"
    log.info(
        "admin from %s: %s in room %s",
        client,
        what,
        room,
        extra={"room": room, "client": client, **extra},
    )


# -- routes -------------------------------------------------------------------------------------


@router.get(
    "/rooms",
    summary="Every room, searchable (operators)",
    responses={**body(AdminRooms), **errors(*_STATUSES)},
)
async def rooms(
    svc: ServicesDep,
    q: Annotated[str | None, Query(max_length=40, description=_Q)] = None,
) -> Response:
    found = await svc.rooms.search(q.strip() if q else None, ROOMS_MAX)
    return JSON({"rooms": [_admin_room(svc, room) for room in found]})


@router.get(
    "/rooms/{code}",
    summary="One room in detail: members, recent frames, the game as a spectator sees it",
    responses={**body(AdminRoomDetail), **errors(*_STATUSES)},
)
async def room_detail(code: str, svc: ServicesDep) -> Response:
    room = await svc.rooms.get(code)
    chan = svc.hub.presence.channels.get(room.room_id)
    attached = chan.attached if chan is not None else {}
    shown = room.to_dict()
    members = [
        {
            **m,
            "online": m["bot"] or m["session_id"] in attached,
            "host": m["session_id"] == room.host_session_id,
        }
        for m in (*shown["players"], *shown["spectators"])
    ]
    room_log = svc.outbox.get(room.room_id)
    recent = list(room_log.buffer)[-RECENT_FRAMES:] if room_log is not None else []
    over = room.last_game_id is not None and room.state is not RoomState.IN_GAME
    return JSON(
        {
            "room": _admin_room(svc, room),
            "members": members,
            "frames": [_frame(e) for e in recent],
            "game": svc.engine.spectate(room.room_id),
            "replay_path": f"/replay/{room.last_game_id}" if over else None,
        }
    )


@router.post(
    "/rooms/{code}/kick",
    summary="Remove a member (operators)",
    responses={**body(bodies.RoomBody), **errors(*_STATUSES)},
)
async def kick(code: str, body: Kick, request: Request, svc: ServicesDep) -> Response:
    room = await svc.rooms.kick(None, code, body.session_id)
    _audit(request, f"kicked session {body.session_id}", room.room_code, session=body.session_id)
    if room.state is RoomState.IN_GAME:
        await svc.engine.settle(room.room_id)  # the game hears of the lost seat first
        room = await svc.rooms.get_by_id(room.room_id) or room
    return JSON(room_body(room))


@router.post(
    "/rooms/{code}/end",
    summary="End a running game as its host would: FINISHED, result.abandoned (operators)",
    responses={**body(bodies.RoomBody), **errors(409, *_STATUSES)},
)
async def end_game(code: str, request: Request, svc: ServicesDep) -> Response:
    room = await svc.engine.end_as_operator(code)
    _audit(request, "ended the game", room.room_code)
    return JSON(room_body(room))


@router.delete(
    "/rooms/{code}",
    summary="Close a room (operators)",
    responses={**body(bodies.Deleted), **errors(*_STATUSES)},
)
async def close_room(code: str, request: Request, svc: ServicesDep) -> Response:
    room = await svc.rooms.delete(None, code)
    _audit(request, "closed the room", room.room_code)
    return JSON({"room_code": room.room_code, "room_id": room.room_id, "deleted": True})


@router.get(
    "/sessions",
    summary="Sessions with a socket on this node (operators)",
    responses={**body(Sessions), **errors(*_STATUSES)},
)
async def sessions(svc: ServicesDep) -> Response:
    lobby = svc.hub.lobby
    online: list[dict[str, Any]] = [
        {
            "session_id": conn.session_id,
            "username": conn.session.username,
            "room_code": conn.room_code,
            "lobby": id(conn) in lobby.following,
        }
        for conn in list(svc.hub.connections.values())
        if not conn.closed
    ]
    online.sort(key=lambda s: (s["username"].lower(), s["session_id"]))
    return JSON({"sessions": online})


@router.get(
    "/metrics",
    summary="A snapshot of the node's figures, for the console's charts (operators)",
    responses={**body(Figures), **errors(*_STATUSES)},
)
async def figures(svc: ServicesDep) -> Response:
    stats = svc.stats
    rooms = {state.value: 0 for state in RoomState}
    for _, state, count in await svc.rooms.census():
        rooms[state] = rooms.get(state, 0) + count
    accepted = refused = 0
    if stats is not None:
        for (_, code), count in list(stats.actions.items()):
            if code == "accepted":
                accepted += count
            else:
                refused += count
    return JSON(
        {
            "at": svc.scheduler.now(),
            "metrics": stats is not None,
            "sockets_open": stats.sockets_open if stats is not None else len(svc.hub.connections),
            "sessions_online": len(svc.hub.connections),
            "games_running": len(svc.engine.runners),
            "rooms": rooms,
            "frames_in": stats.frames_in if stats else 0,
            "frames_out": stats.frames_out if stats else 0,
            "bytes_in": stats.bytes_in if stats else 0,
            "bytes_out": stats.bytes_out if stats else 0,
            "actions_accepted": accepted,
            "actions_refused": refused,
            "http_requests": sum(stats.http_requests.values()) if stats else 0,
            "fanout_count": stats.fanout.count if stats else 0,
            "fanout_seconds": stats.fanout.sum if stats else 0.0,
        }
    )


@page_router.get("/admin")
async def admin_page(request: Request) -> Response:
    """The console's page; 404 without a configured admin token. It holds no data: the API calls
    it makes carry the token the operator types in."""
    if not request.app.state.admin_token:
        raise operators.not_found()
    return pages.page("admin")
