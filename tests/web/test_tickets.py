"""Tokens stay out of URLs and logs: one-time socket tickets, the Python client's header, and the
server's log lines with every token and ticket redacted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import uvicorn
from websockets.asyncio.client import connect

from roomservice.client import Client
from roomservice.config import Settings
from roomservice.tickets import TicketBook
from roomservice.web.app import create_app
from roomservice.web.server import REQUEST_LOGGERS, redact, uvicorn_config
from tests.conftest import Api, FakeClock, RemoteApi, Server
from tests.web.test_rooms import error


async def test_a_ticket_is_issued_to_a_session(api: Api) -> None:
    alice = await api.user("alice")
    resp = await alice.http.post("/api/session/ticket")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["expires_in"] == 30 and len(body["ticket"]) >= 32
    assert resp.headers["Cache-Control"] == "no-store"
    assert body["ticket"] != (await alice.http.post("/api/session/ticket")).json()["ticket"]
    error(await api.client().post("/api/session/ticket"), 401, "unauthorized")


def test_a_ticket_is_worth_one_redemption_within_its_time() -> None:
    clock = FakeClock()
    book = TicketBook(clock)
    first, second = book.issue("token-a"), book.issue("token-b")
    assert book.redeem(first) == "token-a"
    assert book.redeem(first) is None
    clock.advance(30)
    assert book.redeem(second) is None
    assert book.redeem("made-up") is None
    clock.advance(1)
    book.issue("token-c")
    assert len(book) == 1  # expired tickets are forgotten


def test_tickets_held_are_bounded() -> None:
    book = TicketBook(FakeClock(), limit=3)
    tickets = [book.issue(f"t{i}") for i in range(5)]
    assert len(book) == 3
    assert book.redeem(tickets[0]) is None and book.redeem(tickets[4]) == "t4"


async def _first_frame(url: str) -> tuple[str, int | None]:
    async with connect(url) as ws:
        frame = str(await ws.recv())
        if '"error"' in frame:
            await ws.wait_closed()
        return frame, ws.close_code


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_socket_takes_a_ticket_once(server: Server, remote: RemoteApi) -> None:
    bob = await remote.user("bob")
    ticket = (await bob.http.post("/api/session/ticket")).json()["ticket"]
    async with connect(f"{server.ws}?ticket={ticket}") as ws:
        await ws.send('{"type": "ping"}')
        assert '"pong"' in str(await ws.recv())
    frame, close = await _first_frame(f"{server.ws}?ticket={ticket}")
    assert '"invalid_ticket"' in frame and close == 4001
    frame, close = await _first_frame(f"{server.ws}?ticket=forged")
    assert '"invalid_ticket"' in frame and close == 4001
    # Old clients' ?token= still works.
    async with connect(f"{server.ws}?token={bob.token}") as ws:
        await ws.send('{"type": "ping"}')
        assert '"pong"' in str(await ws.recv())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_tickets_expire_by_the_app_clock(api: Api, clock: FakeClock) -> None:
    bob = await api.user("bob")
    ticket = (await bob.http.post("/api/session/ticket")).json()["ticket"]
    clock.advance(31)
    book: TicketBook = api.app.state.tickets
    assert book.redeem(ticket) is None


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
async def logged_server(settings: Settings) -> AsyncIterator[tuple[Server, list[str]]]:
    """A real uvicorn server with its request logs at info level, their lines collected."""
    settings.port = 0
    app = create_app(settings, background=True)
    config = uvicorn_config(app, settings, log_level="info")
    handler = _Lines()
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    try:
        while not instance.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = instance.servers[0].sockets[0].getsockname()[1]
        yield Server(app, port), handler.lines
    finally:
        instance.should_exit = True
        await asyncio.wait_for(task, 10)
        for name in REQUEST_LOGGERS:
            logging.getLogger(name).removeHandler(handler)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_log_line_holds_a_token_or_ticket(logged_server: tuple[Server, list[str]]) -> None:
    server, lines = logged_server
    remote = RemoteApi(server)
    alice = await remote.user("alice")
    secrets = [alice.token]
    # The Python client: a bearer header, never the token in the URL.
    async with Client(server.http, alice.token) as client:
        socket = await client.connect()
        await socket.ping()
    ticket = (await alice.http.post("/api/session/ticket")).json()["ticket"]
    secrets.append(ticket)
    for url in (f"{server.ws}?ticket={ticket}", f"{server.ws}?token={alice.token}"):
        async with connect(url) as ws:
            await ws.send('{"type": "ping"}')
            await ws.recv()
    await alice.http.get(f"/api/session?token={alice.token}&x=1")
    await remote.close()
    assert any("/ws?ticket=[redacted]" in line for line in lines), lines
    assert any("/ws?token=[redacted]" in line for line in lines), lines
    assert any("/api/session?token=[redacted]&x=1" in line for line in lines), lines
    assert any('"WebSocket /ws"' in line for line in lines), lines  # the client's socket: no query
    for secret in secrets:
        assert not [line for line in lines if secret in line]


def test_redaction_keeps_other_parameters() -> None:
    assert redact("GET /ws?token=abc&x=1 HTTP/1.1") == "GET /ws?token=[redacted]&x=1 HTTP/1.1"
    assert redact("/ws?ticket=T") == "/ws?ticket=[redacted]"
    assert redact("/ws?%74oken=T") == "/ws?%74oken=[redacted]"
    assert redact("/api/rooms?q=token") == "/api/rooms?q=token"
