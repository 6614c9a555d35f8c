"""Two nodes of one cluster in the test's process: two apps on real uvicorn servers sharing one
PostgreSQL database and one Redis (under a key and channel prefix of the test's own), as two
``roomservice serve --redis-url`` processes would; and nginx, for the tests of ``deploy/nginx.conf``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from roomservice.config import Settings
from roomservice.services import Services
from tests.cluster.harness import NGINX, nginx_available
from tests.conftest import POSTGRES_URL, REDIS_URL, RemoteApi, Server, _reset_postgres, serve, unavailable


@pytest.fixture(scope="session")
def nginx_installed() -> None:
    """nginx must be there: the tests fail (under CI) or are skipped (elsewhere) without it."""
    if not nginx_available():
        unavailable(f"nginx at {NGINX}", "not installed (apt-get install nginx)")


async def _redis_reachable(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


@pytest.fixture
async def shared_postgres() -> str:
    try:
        await asyncio.wait_for(_reset_postgres(), 10)
    except Exception as exc:
        unavailable("PostgreSQL at " + POSTGRES_URL, exc)
    return POSTGRES_URL


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    try:
        await _redis_reachable(REDIS_URL)
    except Exception as exc:
        unavailable("Redis at " + REDIS_URL, exc)
    name = f"rs-test-cluster:{uuid.uuid4().hex[:10]}:"
    yield name
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=name + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def node_settings(database_url: str, redis_url: str, prefix: str, node_id: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        node_id=node_id,
        data_dir=tmp_path,
        secret_key="cluster-secret",
        port=0,
        ws_heartbeat=0.5,
        lease_ttl=1.0,
        dev=True,
        http_rate_sessions=0,  # tests make many sessions from one address
    )


class Cluster:
    """Nodes started in the test's loop; ``stop(i)`` stops one the way SIGTERM would."""

    def __init__(self, database_url: str, redis_url: str, prefix: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.prefix = prefix
        self.tmp_path = tmp_path
        self.nodes: list[Server] = []
        self._stops: list[AsyncExitStack] = []

    async def start(self, node_id: str) -> Server:
        settings = node_settings(self.database_url, self.redis_url, self.prefix, node_id, self.tmp_path)
        stack = AsyncExitStack()
        running = serve(settings)
        server = await running.__anext__()

        async def stop() -> None:
            with contextlib_suppress():
                await running.__anext__()

        stack.push_async_callback(stop)
        self.nodes.append(server)
        self._stops.append(stack)
        return server

    def services(self, i: int) -> Services:
        services: Services = self.nodes[i].app.state.services
        return services

    async def stop(self, i: int) -> None:
        await self._stops[i].aclose()

    async def close(self) -> None:
        for stack in reversed(self._stops):
            await stack.aclose()


class contextlib_suppress:
    """Suppresses the end of the server generator."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, tb: object) -> bool:
        return kind is StopAsyncIteration


@pytest.fixture
async def cluster(shared_postgres: str, prefix: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    made = Cluster(shared_postgres, REDIS_URL, prefix, tmp_path)
    await made.start("node-a")
    await made.start("node-b")
    yield made
    await made.close()


@pytest.fixture
async def remote_a(cluster: Cluster) -> AsyncIterator[RemoteApi]:
    helper = RemoteApi(cluster.nodes[0])
    yield helper
    await helper.close()


@pytest.fixture
async def remote_b(cluster: Cluster) -> AsyncIterator[RemoteApi]:
    helper = RemoteApi(cluster.nodes[1])
    yield helper
    await helper.close()
