"""``GET /ws``: the one socket per client. Authenticates, then hands frames to the hub."""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketState

from roomservice.errors import Unauthorized
from roomservice.protocol import codes
from roomservice.protocol.messages import encode, error
from roomservice.realtime.connection import Connection
from roomservice.realtime.wire import EXTENSION, Wire
from roomservice.services import Services
from roomservice.web.deps import token_of


async def websocket_endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    try:
        session = await services.sessions.authenticate(token_of(ws, services.settings.session_cookie))
    except Unauthorized as exc:
        await ws.accept()
        await ws.send_text(encode(error(exc.code, exc.message)))
        await ws.close(codes.CLOSE_UNAUTHORIZED, exc.code)
        return
    await ws.accept()

    async def close(code: int, reason: str) -> None:
        if ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(code, reason)

    hub = services.hub
    wire: Wire | None = ws.scope.get("extensions", {}).get(EXTENSION)
    conn: Connection = hub.new_connection(session, ws.send_text, close, wire)
    try:
        if not await hub.connect(conn):
            await conn.wait_closed_after_flush()
            return
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                text = data.decode("utf-8", errors="replace")
            await hub.receive(conn, text)
            if conn.closed:
                await conn.wait_closed_after_flush()
                break
    finally:
        await hub.disconnect(conn)
