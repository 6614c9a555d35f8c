"""The direct WebSocket transport: a uvicorn WebSocket protocol class whose sockets the app can read
and write without an ASGI message per frame.

uvicorn's HTTP protocol parses the upgrade request and hands the connection to this class (the
``ws=`` setting takes a protocol class). The handshake runs the ASGI app as on any server: it sees
``websocket.connect``, and accepts, closes (403) or answers with a response of its own. Once it
accepts, picows takes the socket over: it writes the 101 answer and from then on parses the frames in
compiled code, calling :class:`roomservice.web.wssocket.Socket` for each. That socket is offered to
the app as the ``roomservice.wire`` scope extension; an app that calls ``wire_listen`` gets each
message as a plain call and may return from its ASGI call with the socket open, one that does not is
served ASGI ``receive`` and ``send`` as usual.

What this relies on, besides the ASGI specification:

- uvicorn: that ``Config(ws=cls)`` builds ``cls(config=, server_state=, app_state=)`` for each
  upgrade, calls ``connection_made(transport)`` and ``data_received(request head)`` and then makes it
  the transport's protocol (the contract its own WebSocket classes follow); ``server_state.connections``
  (each open socket is in it, so a shutdown calls its ``shutdown()``), ``server_state.tasks`` and
  ``server_state.default_headers``; the ``Config`` fields ``loaded_app``, ``root_path``,
  ``asgi_version``, ``ws_max_size``, ``ws_ping_interval`` and ``ws_ping_timeout``.
- picows: its ``WSProtocol`` built as its ``ws_create_server`` builds it, then fed a request head on
  an open transport (``get_buffer``/``buffer_updated``), the transport handed to it with
  ``set_protocol``; ``WSUpgradeResponse``/``WSUpgradeResponseWithListener`` for the 101 headers.
  Pinned to the minor release it was tested with.

Per-message compression is never negotiated here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import logging
from collections.abc import MutableMapping
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote, unquote

from picows import WSAutoPingStrategy, WSUpgradeRequest, WSUpgradeResponse, WSUpgradeResponseWithListener
from picows.picows import WSProtocol  # type: ignore[attr-defined]
from starlette.websockets import WebSocketDisconnect

from roomservice.realtime.wire import EXTENSION
from roomservice.web.wssocket import Disconnected, Socket

log = logging.getLogger("uvicorn.error")

#: Bytes of a request head this class accepts (uvicorn has already parsed it).
MAX_HEAD = 64 * 1024
#: picows' smallest read buffer; it grows (and stays grown) for larger frames.
READ_BUFFER = 2048


class _PicowsLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """picows' log lines under ``roomservice.web.wire``: a peer's protocol error is the peer's, logged
    at info; what picows says of our own code stays an error."""

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if level >= logging.ERROR and isinstance(msg, str) and msg.startswith("WS parser error"):
            level = logging.INFO
        super().log(level, msg, *args, **kwargs)


_PICOWS_LOG = _PicowsLog(logging.getLogger("roomservice.web.wire"), {})


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _header_tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}


class DirectWebSocketProtocol(asyncio.Protocol):
    """The handshake of one socket (see the module docstring); after ``accept`` the socket is a
    :class:`Socket` under picows, and this object ends with the app's ASGI call: it lets go of the
    scope and everything else then (uvloop's transport may keep a reference to it for the socket's
    life)."""

    __slots__ = (
        "accepted",
        "app_state",
        "config",
        "connected_sent",
        "finished",
        "head",
        "key",
        "response",
        "scope",
        "server_state",
        "socket",
        "transport",
    )

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.server_state = server_state
        self.app_state = app_state
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.key = ""
        self.scope: dict[str, Any] = {}
        self.socket: Socket | None = Socket(
            server_state.connections, config.ws_max_size, config.ws_ping_interval, config.ws_ping_timeout
        )
        self.connected_sent = False
        self.accepted = False
        self.finished = False  # a response was sent, or the connection went away before the accept
        self.response: tuple[int, list[tuple[bytes, bytes]], bytes] | None = None

    # -- asyncio -----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.server_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self.scope or self.finished:
            self.head += data  # bytes sent before our answer: picows reads them after the handshake
            if len(self.head) > MAX_HEAD:
                self._respond(400, [], b"Request too large")
            return
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > MAX_HEAD:
                self._respond(400, [], b"Request too large")
            return
        head, self.head = self.head[:end], self.head[end + 4 :]
        try:
            self.scope = self._scope(head)
        except _BadRequest as exc:
            self._respond(exc.status, _VERSION_HEADER if exc.status == 426 else [], str(exc).encode())
            return
        task = asyncio.get_running_loop().create_task(self._run_asgi())
        self.server_state.tasks.add(task)
        task.add_done_callback(self.server_state.tasks.discard)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        if not self.accepted:
            self.finished = True
            if self.socket is not None:
                self.socket.on_ws_disconnected(None)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        """uvicorn is stopping before this handshake ended."""
        if not self.accepted and not self.finished:
            self._respond(500, [], b"Server shutting down")

    # -- the request -------------------------------------------------------------------------

    def _scope(self, head: bytes) -> dict[str, Any]:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or parts[0] != b"GET":
            raise _BadRequest(400, "Expected a GET request")
        target = parts[1].decode("latin-1")
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise _BadRequest(400, "Malformed header")
            headers.append((name.strip().lower(), value.strip()))
        found = {name: value.decode("latin-1") for name, value in headers}
        if "websocket" not in _header_tokens(found.get(b"upgrade", "")):
            raise _BadRequest(400, "Missing Upgrade: websocket")
        if "upgrade" not in _header_tokens(found.get(b"connection", "")):
            raise _BadRequest(400, "Missing Connection: Upgrade")
        if found.get(b"sec-websocket-version", "").strip() != "13":
            raise _BadRequest(426, "Unsupported WebSocket version")
        key = found.get(b"sec-websocket-key", "").strip()
        try:
            if len(base64.b64decode(key.encode("ascii"), validate=True)) != 16:
                raise ValueError(key)
        except (ValueError, UnicodeEncodeError, binascii.Error):
            raise _BadRequest(400, "Invalid Sec-WebSocket-Key") from None
        self.key = key
        subprotocols = [
            token.strip()
            for name, value in headers
            if name == b"sec-websocket-protocol"
            for token in value.decode("latin-1").split(",")
            if token.strip()
        ]
        raw_path, _, query = target.partition("?")
        root = self.config.root_path
        assert self.transport is not None
        return {
            "type": "websocket",
            "asgi": {"version": self.config.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if self.transport.get_extra_info("sslcontext") else "ws",
            "server": _address(self.transport.get_extra_info("sockname")),
            "client": _address(self.transport.get_extra_info("peername")),
            "root_path": root,
            "path": root + unquote(raw_path),
            "raw_path": root.encode("ascii") + raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "headers": headers,
            "subprotocols": subprotocols,
            "state": self.app_state.copy(),
            "extensions": {"websocket.http.response": {}, EXTENSION: self.socket},
        }

    # -- the ASGI call -----------------------------------------------------------------------

    async def _run_asgi(self) -> None:
        socket = self.socket
        assert socket is not None
        try:
            await self.config.loaded_app(self.scope, self.receive, self.send)
        except (Disconnected, WebSocketDisconnect):
            pass
        except BaseException:
            log.exception("Exception in ASGI application\n")
            if not self.accepted:
                self._respond(500, [], b"Internal Server Error")
            elif socket.on_text is None:
                socket.wire_close(1011, "")
        else:
            if not self.accepted:
                if not self.finished:
                    log.error("ASGI callable returned without completing handshake.")
                    self._respond(500, [], b"Internal Server Error")
            elif socket.on_text is None:
                socket.wire_close(1000, "")  # the app is done and did not hand the socket on
        finally:
            if self.accepted:
                self.scope = {}
                self.socket = None
                self.app_state = {}

    async def receive(self) -> MutableMapping[str, Any]:
        if not self.connected_sent:
            self.connected_sent = True
            return {"type": "websocket.connect"}
        if not self.accepted:
            if not self.finished:
                raise RuntimeError("receive() before the handshake was answered")
            return {"type": "websocket.disconnect", "code": 1006}
        assert self.socket is not None, "the app's call has ended"
        return await self.socket.receive()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if self.accepted:
            socket = self.socket
            assert socket is not None, "the app's call has ended"
            if kind == "websocket.send":
                text = message.get("text")
                if text is not None:
                    socket.send_text(text)
                else:
                    socket.send_bytes(message.get("bytes") or b"")
            elif kind == "websocket.close":
                if socket.closing:
                    raise Disconnected("the socket is closed")
                socket.wire_close(message.get("code") or 1000, message.get("reason") or "")
            else:
                raise RuntimeError(f"Expected 'websocket.send' or 'websocket.close', got {kind!r}")
            return
        if self.finished and self.response is None:
            raise Disconnected("the connection is closed")
        if self.response is not None:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"Expected 'websocket.http.response.body', got {kind!r}")
            status, headers, body = self.response
            self.response = (status, headers, body + message.get("body", b""))
            if not message.get("more_body", False):
                status, headers, body = self.response
                self.response = None
                self._respond(status, headers, body)
        elif kind == "websocket.accept":
            self._accept(message)
        elif kind == "websocket.close":
            self._log(403)
            self._respond(403, [], b"")
        elif kind == "websocket.http.response.start":
            status = message["status"]
            if not 100 <= status < 600:
                raise RuntimeError(f"Invalid HTTP status code {status} in response.")
            self._log(status)
            self.response = (status, list(message.get("headers", [])), b"")
        else:
            raise RuntimeError(f"Expected 'websocket.accept', 'websocket.close' or a response, got {kind!r}")

    def _log(self, what: int | str) -> None:
        """The line uvicorn logs for a handshake's outcome (``web.server`` redacts its secrets)."""
        client = self.scope.get("client")
        peer = f"{client[0]}:{client[1]}" if client else ""
        path = quote(self.scope["path"])
        query = self.scope["query_string"].decode("latin-1")
        log.info('%s - "WebSocket %s" %s', peer, f"{path}?{query}" if query else path, what)

    # -- answering ---------------------------------------------------------------------------

    def _accept(self, message: MutableMapping[str, Any]) -> None:
        """Hand the socket to picows, which writes the 101 answer and parses every frame after it."""
        transport = self.transport
        assert transport is not None
        if transport.is_closing():
            self.finished = True
            raise Disconnected("the connection is closed")
        self._log("[accepted]")
        extra = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in [*self.server_state.default_headers, *message.get("headers", [])]
        ]
        if message.get("subprotocol"):
            extra.append(("Sec-WebSocket-Protocol", message["subprotocol"]))
        socket = self.socket
        assert socket is not None
        answer = WSUpgradeResponseWithListener(WSUpgradeResponse.create_101_response(extra), socket)

        def listener(_: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
            return answer

        protocol = WSProtocol(
            None,
            None,
            False,
            listener,
            _PICOWS_LOG,
            True,  # an exception in a callback closes the socket (1011)
            None,  # no handshake timeout: the request is already here
            False,  # the heartbeat is the Socket's own
            20.0,
            20.0,
            WSAutoPingStrategy.PING_WHEN_IDLE,
            True,  # pings are answered by picows
            self.config.ws_max_size,
            None,
            READ_BUFFER,
        )
        protocol.connection_made(transport)
        # picows reads the handshake itself: the request it is given is the accepted one, in the
        # plainest form, followed by whatever the client sent after it.
        request = (
            b"GET / HTTP/1.1\r\nHost: roomservice\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + self.key.encode() + b"\r\n\r\n" + self.head
        )
        self.head = b""
        self.accepted = True
        self.server_state.connections.discard(self)
        while request:
            buffer = protocol.get_buffer(len(request))
            size = min(len(buffer), len(request))
            buffer[:size] = request[:size]
            request = request[size:]
            protocol.buffer_updated(size)
        transport.set_protocol(protocol)

    def _respond(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """An HTTP answer instead of a socket, then the connection is closed."""
        self.finished = True
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        names = {name.lower() for name, _ in headers}
        lines = [f"HTTP/1.1 {status} {phrase}".encode()]
        defaults = [*self.server_state.default_headers]
        if not any(name == b"date" for name, _ in defaults):
            defaults.append((b"date", email.utils.formatdate(usegmt=True).encode()))
        for name, value in [*defaults, *headers]:
            lines.append(name + b": " + value)
        if b"content-type" not in names:
            lines.append(b"content-type: text/plain; charset=utf-8")
        if b"content-length" not in names:
            lines.append(b"content-length: " + str(len(body)).encode())
        lines.append(b"connection: close")
        transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        transport.close()


_VERSION_HEADER = [(b"sec-websocket-version", b"13")]


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return (str(value[0]), int(value[1]))
    return None
