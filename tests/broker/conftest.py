"""Every broker implementation, for the contract suite. A networked implementation is one more entry in
``IMPLEMENTATIONS`` (and in ``SHARED`` when two instances of it reach each other's subscribers).

The Redis broker runs on the real Redis (``ROOMSERVICE_TEST_REDIS_URL``), under a channel prefix of
the test's own (channel names are global to a Redis server), and fails under CI when Redis is missing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from roomservice.broker.base import Broker
from roomservice.broker.local import LocalBroker
from roomservice.broker.redis import RedisBroker
from tests.conftest import REDIS_URL, unavailable

#: A new broker instance, as one node of a deployment would build it; nodes given one prefix share it.
MakeBroker = Callable[[str], Awaitable[Broker]]


async def _local(prefix: str) -> Broker:
    return LocalBroker()


async def _redis(prefix: str) -> Broker:
    broker = RedisBroker.from_url(REDIS_URL, prefix=prefix, log_size=64)
    try:
        await broker.last_seq("ping")
    except Exception as exc:
        await broker.close()
        unavailable("Redis at " + REDIS_URL, exc)
    return broker


IMPLEMENTATIONS: dict[str, MakeBroker] = {"local": _local, "redis": _redis}

#: Implementations whose instances share one backend, like two nodes of a cluster.
SHARED: list[str] = ["redis"]


def _prefix() -> str:
    return f"rs-test-broker:{uuid.uuid4().hex[:10]}:"


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    made = await IMPLEMENTATIONS[request.param](_prefix())
    yield made
    await made.close()


@pytest.fixture(params=SHARED)
async def two_nodes(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Broker, Broker]]:
    prefix = _prefix()
    first = await IMPLEMENTATIONS[request.param](prefix)
    second = await IMPLEMENTATIONS[request.param](prefix)
    yield first, second
    await first.close()
    await second.close()
