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
from roomservice.sessions import Session
from roomservice.tickets import TicketBook
from roomservice.web.deps import token_of
from roomservice.web.origin import CROSS_ORIGIN, CROSS_ORIGIN_MESSAGE, bearer, trusted
from roomservice.web.responses import error_response

_DENIAL = "websocket.http.response"


async def _deny_cross_origin(ws: WebSocket) -> None:
    """Refuse the handshake with 403: the page's site never gets a socket, so never a frame."""
    if _DENIAL in ws.scope.get("extensions", {}):
        await ws.send_denial_response(error_response(403, CROSS_ORIGIN, CROSS_ORIGIN_MESSAGE))
    else:
        await ws.close(codes.CLOSE_POLICY)  # before accept: the server answers the handshake with 403


async def _authenticate(ws: WebSocket, services: Services) -> Session | None:
    """The session of a ticket, a bearer header, ``?token=`` (old clients) or the cookie. A socket
    authenticated only by the cookie must come from a trusted page (see ``web.origin``)."""
    ticket = ws.query_params.get("ticket")
    if ticket is not None:
        tickets: TicketBook = ws.app.state.tickets
        cluster = services.cluster
        token = await cluster.node.redeem_ticket(ticket) if cluster is not None else tickets.redeem(ticket)
        if token is None:
            raise Unauthorized(
                "invalid_ticket",
                "The ticket is unknown, used or expired; get one from POST /api/session/ticket.",
            )
        return await services.sessions.authenticate(token)
    cookie_only = not bearer(ws.headers) and not ws.query_params.get("token")
    if cookie_only and not trusted(ws.headers, ws.app.state.allowed_origins):
        await _deny_cross_origin(ws)
        return None
    return await services.sessions.authenticate(token_of(ws, services.settings.session_cookie))


async def websocket_endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    try:
        session = await _authenticate(ws, services)
    except Unauthorized as exc:
        await ws.accept()
        await ws.send_text(encode(error(exc.code, exc.message)))
        await ws.close(codes.CLOSE_UNAUTHORIZED, exc.code)
        return
    if session is None:
        return
    await ws.accept()

    async def close(code: int, reason: str) -> None:
        if ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(code, reason)

    hub = services.hub
    wire: Wire | None = ws.scope.get("extensions", {}).get(EXTENSION)
    conn: Connection | None
    if wire is not None:
        conn = hub.new_connection(session, None, None, wire)
    else:
        conn = hub.new_connection(session, ws.send_text, close)
    try:
        if not await hub.connect(conn):
            await conn.wait_closed_after_flush()
            return
        if wire is not None:
            # Each message is handled as it is read, in the read's own pass; the socket outlives
            # this call, and the hub lets it go when it ends.
            wire.wire_listen(hub.receiver(conn), hub.closer(conn))
            conn = None
            return
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                data = message.get("bytes") or b""
                text = data.decode("utf-8", errors="replace")
            hub.receive(conn, text)
            if conn.closed:
                await conn.wait_closed_after_flush()
                break
    finally:
        if conn is not None:
            await hub.disconnect(conn)
