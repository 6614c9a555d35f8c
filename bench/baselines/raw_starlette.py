"""The raw ceiling: a Starlette broadcast server with no framework logic.

``GET /ws?room=R&name=N`` joins room R; every ``{"type": "chat", "text": ...}`` a socket sends is wrapped
in a chat frame, encoded once and written to every socket of the room, the sender included (as
roomservice does). The HTTP routes mirror roomservice's session, create, join and leave with in-memory
dicts, so the ``http`` workload has a ceiling too. Run: ``python -m bench.baselines.raw_starlette --port N``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from bench.baselines import serve

rooms: dict[str, set[WebSocket]] = {}
sessions: dict[str, str] = {}  # token -> username
seats: dict[str, set[str]] = {}  # room code -> tokens


async def websocket(ws: WebSocket) -> None:
    room = ws.query_params.get("room", "lobby")
    name = ws.query_params.get("name", "")
    await ws.accept()
    peers = rooms.setdefault(room, set())
    peers.add(ws)
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            frame = json.loads(message.get("text") or message.get("bytes") or b"{}")
            out = json.dumps({"type": "chat", "from": name, "text": frame.get("text")}, separators=(",", ":"))
            for peer in list(peers):
                try:
                    await peer.send_text(out)
                except Exception:
                    peers.discard(peer)
    finally:
        peers.discard(ws)
        if not peers:
            rooms.pop(room, None)


def _token(request: Request) -> str:
    return request.headers.get("authorization", "").removeprefix("Bearer ")


async def create_session(request: Request) -> JSONResponse:
    body: dict[str, Any] = await request.json()
    token = secrets.token_urlsafe(24)
    sessions[token] = str(body.get("username", ""))
    return JSONResponse({"session_id": token[:12], "username": sessions[token], "token": token}, 201)


async def create_room(request: Request) -> JSONResponse:
    if _token(request) not in sessions:
        return JSONResponse({"error": {"code": "unauthorized"}}, 401)
    code = secrets.token_hex(3).upper()
    seats[code] = {_token(request)}
    return JSONResponse({"room_code": code}, 201)


async def join_room(request: Request) -> JSONResponse:
    code = request.path_params["code"]
    if _token(request) not in sessions or code not in seats:
        return JSONResponse({"error": {"code": "not_found"}}, 404)
    seats[code].add(_token(request))
    return JSONResponse({"room_code": code, "players": len(seats[code])})


async def leave_room(request: Request) -> JSONResponse:
    code = request.path_params["code"]
    seats.get(code, set()).discard(_token(request))
    return JSONResponse({"room_code": code, "deleted": False})


app = Starlette(
    routes=[
        WebSocketRoute("/ws", websocket),
        Route("/api/session", create_session, methods=["POST"]),
        Route("/api/rooms", create_room, methods=["POST"]),
        Route("/api/rooms/{code}/join", join_room, methods=["POST"]),
        Route("/api/rooms/{code}/leave", leave_room, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    serve(app)
