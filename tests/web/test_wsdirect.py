"""The direct WebSocket transport (``web.wsdirect`` and ``web.wssocket``) under uvicorn, with a tiny
inline ASGI app: the handshake answers of an ASGI server, messages handed to a listener in order,
the ASGI calls before it listens, and the protocol's edges (fragments, bad UTF-8, a silent peer, a
message too big, a server shutting down)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from roomservice.realtime.wire import EXTENSION, Wire, frame_text
from roomservice.web.wsdirect import DirectWebSocketProtocol


class App:
    """``/listen`` hands the socket to a listener that echoes ``echo:<text>`` and notes the end;
    ``/asgi`` echoes through ASGI ``receive``/``send``; ``/deny`` closes before accepting (403);
    ``/forget`` returns without answering (500)."""

    def __init__(self) -> None:
        self.ended: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        assert (await receive())["type"] == "websocket.connect"
        path = scope["path"]
        if path == "/deny":
            await send({"type": "websocket.close"})
            return
        if path == "/forget":
            return
        await send({"type": "websocket.accept"})
        if path == "/asgi":
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    self.ended.append("asgi")
                    return
                text = message.get("text")
                await send(
                    {"type": "websocket.send", "text": text if text is not None else message["bytes"].hex()}
                )
        wire: Wire = scope["extensions"][EXTENSION]

        def echo(text: str) -> None:
            wire.wire_write(frame_text("echo:" + text))

        wire.wire_listen(echo, lambda: self.ended.append(path))


class Served:
    def __init__(self, app: App, server: uvicorn.Server, port: int) -> None:
        self.app = app
        self.server = server
        self.port = port
        self.url = f"ws://127.0.0.1:{port}"


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    app = App()
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=0,
        ws=DirectWebSocketProtocol,
        ws_max_size=1024,
        ws_ping_interval=0.2,
        ws_ping_timeout=0.2,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield Served(app, server, server.servers[0].sockets[0].getsockname()[1])
    server.should_exit = True
    await asyncio.wait_for(task, 10)


class Raw:
    """A WebSocket client by hand, for what a library client will not send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, served: Served, path: str = "/listen", **headers: str) -> tuple[Raw, bytes]:
        """Connect and send an upgrade request (``headers`` replace the usual ones); the answer's head."""
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        fields = {
            "Host": "test",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Version": "13",
        }
        fields.update({name.replace("_", "-"): value for name, value in headers.items()})
        head = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v) + "\r\n"
        writer.write(head.encode())
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        return cls(reader, writer), answer

    def send(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        size = len(payload)
        length = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + struct.pack("!H", size)
        self.writer.write(bytes([(0x80 if fin else 0) | opcode]) + length + mask + masked)

    async def frame(self) -> tuple[int, bytes]:
        """The next frame: opcode and payload."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), 5)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        return first & 0x0F, await self.reader.readexactly(size)

    async def close_code(self) -> int:
        """Read up to the server's close frame; its code."""
        while True:
            opcode, payload = await self.frame()
            if opcode == 0x8:
                return int(struct.unpack("!H", payload[:2])[0])

    def done(self) -> None:
        self.writer.close()


async def test_a_listened_socket_gets_every_message_in_order_after_the_call_returned(served: Served) -> None:
    async with connect(served.url + "/listen") as ws:
        for n in range(5):
            await ws.send(f"m{n}")
        assert [await ws.recv() for _ in range(5)] == [f"echo:m{n}" for n in range(5)]
        await ws.send(["frag", "ments"])  # one message in two frames
        assert await ws.recv() == "echo:fragments"
        await ws.send(b"\x00\xff")  # binary: read as UTF-8 with replacements
        assert await ws.recv() == "echo:\x00\ufffd"
    for _ in range(100):  # the listener hears the end once the close handshake is over
        if served.app.ended:
            break
        await asyncio.sleep(0.01)
    assert served.app.ended == ["/listen"]


async def test_an_app_that_does_not_listen_is_served_asgi_messages(served: Served) -> None:
    async with connect(served.url + "/asgi") as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x01\x02")
        assert await ws.recv() == "0102"
    for _ in range(100):
        if served.app.ended:
            break
        await asyncio.sleep(0.01)
    assert served.app.ended == ["asgi"]


async def test_the_handshake_is_answered_as_an_asgi_server_answers_it(served: Served) -> None:
    raw, answer = await Raw.open(served, "/listen", Connection="keep-alive, Upgrade")  # as Firefox asks
    assert answer.startswith(b"HTTP/1.1 101")
    raw.done()
    raw, answer = await Raw.open(served, "/deny")
    assert answer.startswith(b"HTTP/1.1 403")
    raw.done()
    raw, answer = await Raw.open(served, "/forget")
    assert answer.startswith(b"HTTP/1.1 500")
    raw.done()
    raw, answer = await Raw.open(served, "/listen", Sec_WebSocket_Version="8")
    assert answer.startswith(b"HTTP/1.1 426") and b"sec-websocket-version: 13" in answer.lower()
    raw.done()
    raw, answer = await Raw.open(served, "/listen", Sec_WebSocket_Key="")
    assert answer.startswith(b"HTTP/1.1 400")
    raw.done()


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([(0x1, b"\xff\xfe", True)], 1007),  # a text message that is not UTF-8
        ([(0x1, b"x" * 700, False), (0x0, b"y" * 700, True)], 1009),  # fragments past the 1 KiB cap
        ([(0x1, b"x" * 1500, True)], 1009),  # one frame past it
        ([(0x0, b"lost", True)], 1002),  # a continuation of nothing
    ],
)
async def test_a_peer_breaking_the_protocol_is_closed_with_its_code(
    served: Served, frames: list[tuple[int, bytes, bool]], code: int
) -> None:
    raw, _ = await Raw.open(served)
    for opcode, payload, fin in frames:
        raw.send(opcode, payload, fin)
    assert await raw.close_code() == code
    raw.done()


async def test_a_peer_that_stops_answering_pings_is_closed_1011(served: Served) -> None:
    raw, _ = await Raw.open(served)
    assert (await raw.frame())[0] == 0x9  # a ping, never answered
    assert await raw.close_code() == 1011
    raw.done()


async def test_pings_answered_keep_the_socket_open(served: Served) -> None:
    raw, _ = await Raw.open(served)
    for _ in range(3):
        opcode, payload = await raw.frame()
        assert opcode == 0x9
        raw.send(0xA, payload)
    raw.send(0x1, b"still here")
    opcode, payload = await raw.frame()
    while opcode == 0x9:
        raw.send(0xA, payload)
        opcode, payload = await raw.frame()
    assert (opcode, payload) == (0x1, b"echo:still here")
    raw.done()


async def test_a_server_shutting_down_closes_its_sockets_1012(served: Served) -> None:
    ws = await connect(served.url + "/listen")
    await ws.send("before")
    assert await ws.recv() == "echo:before"
    served.server.should_exit = True
    with contextlib.suppress(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1012
