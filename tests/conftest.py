"""Shared fixtures. Backend suites run once on SQLite and once on PostgreSQL.

PostgreSQL comes from ``ROOMSERVICE_TEST_POSTGRES_URL`` (default: the local ``test`` database). When it
cannot be reached the PostgreSQL half is skipped with the reason, except under ``CI=true`` or
``ROOMSERVICE_REQUIRE_SERVICES=1``, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from roomservice.config import Settings
from roomservice.scheduling import Scheduler
from roomservice.web.app import create_app
from tests.fakes import ManualScheduler

POSTGRES_URL = os.environ.get(
    "ROOMSERVICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ROOMSERVICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def services_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("ROOMSERVICE_REQUIRE_SERVICES") == "1"


def unavailable(what: str, why: object) -> None:
    message = f"{what} is not reachable: {why}"
    if services_required():
        pytest.fail(message + " (required under CI)", pytrace=False)
    pytest.skip(message)


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_pg_state: dict[str, Any] = {}


async def _reset_postgres() -> None:
    import asyncpg

    dsn = POSTGRES_URL.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = [r["tablename"] for r in rows]
        if not _pg_state.get("fresh"):
            # First use in this run: start from an empty schema so migrations run from scratch.
            if tables:
                await conn.execute("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
            _pg_state["fresh"] = True
        else:
            data = [f'"{t}"' for t in tables if t != "alembic_version"]
            if data:
                await conn.execute("TRUNCATE " + ", ".join(data) + " CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    try:
        await asyncio.wait_for(_reset_postgres(), 10)
    except Exception as exc:
        unavailable("PostgreSQL at " + POSTGRES_URL, exc)
    return POSTGRES_URL


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


#: The socket transport of the servers tests start (tests/realtime runs both by itself);
#: ``ROOMSERVICE_TEST_WS_TRANSPORT=asgi`` runs the rest on the ASGI path.
WS_TRANSPORT = os.environ.get("ROOMSERVICE_TEST_WS_TRANSPORT", "direct")


_MIGRATED: dict[str, Path] = {}


def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the latest revision, migrated once a run: migrating from scratch
    costs about 0.1 s, and hundreds of tests start a server on a database of their own."""
    template = _MIGRATED.get("sqlite")
    if template is None:
        from roomservice.store.database import Database
        from roomservice.store.migrate import upgrade

        template = tmp_path_factory.mktemp("migrated") / "template.db"

        async def migrate() -> None:
            db = Database(f"sqlite+aiosqlite:///{template}")
            try:
                await upgrade(db)
            finally:
                await db.close()

        # On a thread of its own: a test's event loop may be running on this one.
        worker = threading.Thread(target=asyncio.run, args=(migrate(),))
        worker.start()
        worker.join()
        _MIGRATED["sqlite"] = template
    return template


@pytest.fixture
def settings(database_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if database_url.startswith("sqlite"):
        # The server migrates its database as it starts: here it finds it done (a copy of one).
        shutil.copyfile(_migrated_sqlite(tmp_path_factory), tmp_path / "test.db")
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret",
        ws_transport="asgi" if WS_TRANSPORT == "asgi" else "direct",
        # Account passwords hashed at the lowest cost: the tests make hundreds of accounts.
        password_time_cost=1,
        password_memory_kib=64,
    )


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock, background=False)
    async with application.router.lifespan_context(application):
        yield application


class Api:
    """Opens clients on the app; ``user(name)`` is a client already holding a session."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._clients: list[httpx.AsyncClient] = []

    def client(self) -> httpx.AsyncClient:
        """Each client comes from an address of its own, as people on their own machines do (the
        per-address HTTP rate limits then count each one apart)."""
        n = len(self._clients)
        address = (f"10.1.{n // 250}.{n % 250 + 1}", 50000)
        transport = httpx.ASGITransport(app=self.app, client=address)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self._clients.append(client)
        return client

    async def user(self, name: str) -> User:
        client = self.client()
        resp = await client.post("/api/session", json={"username": name})
        assert resp.status_code == 201, resp.text
        body = resp.json()
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {body['token']}"
        return User(client, body["session_id"], name, body["token"])

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


class User:
    def __init__(self, client: httpx.AsyncClient, session_id: str, name: str, token: str) -> None:
        self.http = client
        self.session_id = session_id
        self.name = name
        self.token = token

    async def create_room(self, name: str = "Room", game: str = "tictactoe", **body: Any) -> dict[str, Any]:
        resp = await self.http.post("/api/rooms", json={"name": name, "game": game, **body})
        assert resp.status_code == 201, resp.text
        return resp.json()  # type: ignore[no-any-return]


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[Api]:
    helper = Api(app)
    yield helper
    await helper.close()


class Server:
    """A real uvicorn server on 127.0.0.1, running in the test's event loop."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.app = app
        self.port = port
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}/ws"


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    return settings


async def serve(settings: Settings, scheduler: Scheduler | None = None) -> AsyncIterator[Server]:
    """Run the app on uvicorn in the test's event loop until the generator is closed."""
    import uvicorn

    from roomservice.web.server import uvicorn_config

    app = create_app(settings, scheduler=scheduler, background=True)
    config = uvicorn_config(app, settings, log_level="warning")
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = instance.servers[0].sockets[0].getsockname()[1]
    yield Server(app, port)
    instance.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
def scheduler() -> ManualScheduler:
    """Time that moves only with ``await scheduler.advance(seconds)``; a ``manual_time`` test's server
    runs every timer on it."""
    return ManualScheduler()


@pytest.fixture
async def server(server_settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """Under ``@pytest.mark.manual_time`` the server's grace timers, resume windows, turn timers and
    expiry run on the ``scheduler`` fixture instead of the loop's clock."""
    manual: ManualScheduler | None = None
    if request.node.get_closest_marker("manual_time") is not None:
        manual = request.getfixturevalue("scheduler")
    async for running in serve(server_settings, manual):
        yield running
    if manual is not None:
        await manual.close()


@pytest.fixture
async def remote(server: Server) -> AsyncIterator[Api]:
    """Like ``api``, but over real HTTP to ``server``."""
    helper = RemoteApi(server)
    yield helper
    await helper.close()


class RemoteApi(Api):
    def __init__(self, server: Server) -> None:
        super().__init__(server.app)
        self.server = server

    def client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.server.http)
        self._clients.append(client)
        return client
