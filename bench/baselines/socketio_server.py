"""The peer: python-socketio's AsyncServer with rooms, on uvicorn with roomservice's settings.

Clients emit ``join`` with a room name (answered by a ``joined`` event) and ``chat`` with ``{"text"}``;
the server emits ``chat {from, text}`` to the whole room, sender included. Run:
``python -m bench.baselines.socketio_server --port N``.
"""

from __future__ import annotations

from typing import Any

import socketio

from bench.baselines import serve

sio = socketio.AsyncServer(
    async_mode="asgi", ping_interval=20, ping_timeout=20, max_http_buffer_size=64 * 1024
)
room_of: dict[str, str] = {}


async def join(sid: str, room: str) -> None:
    room_of[sid] = room
    await sio.enter_room(sid, room)
    await sio.emit("joined", room, to=sid)


async def chat(sid: str, data: dict[str, Any]) -> None:
    room = room_of.get(sid)
    if room is not None:
        await sio.emit("chat", {"from": sid, "text": data.get("text")}, room=room)


async def disconnect(sid: str, *args: Any) -> None:
    room_of.pop(sid, None)


sio.on("join", join)
sio.on("chat", chat)
sio.on("disconnect", disconnect)
app = socketio.ASGIApp(sio)

if __name__ == "__main__":
    serve(app)
