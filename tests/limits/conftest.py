"""Every rate-limit counters implementation, for the contract suite: in memory, and on the real Redis
(``ROOMSERVICE_TEST_REDIS_URL``) under a key prefix of the test's own, as a cluster's nodes use it. Under
CI a missing Redis fails the Redis half."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Protocol

import pytest

from roomservice.limits.base import Counters
from roomservice.limits.local import LocalCounters
from roomservice.limits.redis import RedisCounters
from tests.conftest import REDIS_URL, FakeClock, unavailable


class Backend(Protocol):
    clock: FakeClock

    async def node(self) -> Counters:
        """The counters of one node; with a shared backend, nodes count in one place."""

    async def close(self) -> None: ...


class LocalBackend:
    shared = False

    def __init__(self) -> None:
        self.clock = FakeClock()

    async def node(self) -> Counters:
        return LocalCounters(self.clock)

    async def close(self) -> None:
        pass


class RedisBackend:
    shared = True

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.prefix = f"rs-test-limits:{uuid.uuid4().hex[:10]}:"
        self.made: list[RedisCounters] = []

    async def node(self) -> Counters:
        counters = RedisCounters.from_url(REDIS_URL, prefix=self.prefix, clock=self.clock)
        self.made.append(counters)
        try:
            await counters.redis.ping()
        except Exception as exc:
            unavailable("Redis at " + REDIS_URL, exc)
        return counters

    async def close(self) -> None:
        if self.made:
            client = self.made[0].redis
            keys = [k async for k in client.scan_iter(match=self.prefix + "*", count=1000)]
            if keys:
                await client.delete(*keys)
        for counters in self.made:
            await counters.aclose()


IMPLEMENTATIONS: dict[str, Callable[[], Backend]] = {"local": LocalBackend, "redis": RedisBackend}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()


@pytest.fixture
async def redis_backend() -> AsyncIterator[RedisBackend]:
    made = RedisBackend()
    yield made
    await made.close()
