"""Every leases implementation, for the contract suite. A networked implementation is one more entry in
``IMPLEMENTATIONS`` (and in ``SHARED`` when its nodes see each other's leases).

The Redis leases run on the real Redis (``ROOMSERVICE_TEST_REDIS_URL``) under a key prefix of the
test's own, and fail under CI when Redis is missing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Protocol

import pytest

from roomservice.leases.base import Leases
from roomservice.leases.local import LocalLeases
from roomservice.leases.redis import RedisLeases
from tests.conftest import REDIS_URL, FakeClock, unavailable


class Backend(Protocol):
    """Where one implementation's leases live; nodes made by one backend share it when it is in SHARED."""

    async def node(self, node_id: str) -> Leases:
        """A node joining the deployment."""

    async def restart(self, node_id: str) -> Leases:
        """A new process for a node that stopped (its state in memory is gone)."""

    async def lapse(self, room_id: str) -> None:
        """The room's lease runs out without a renew (time moves past its ttl)."""

    async def close(self) -> None: ...


class LocalBackend:
    """Each node is alone. A restart comes back at least a millisecond later, as a real process does:
    the local token counter starts from the clock, so it needs the clock to have moved."""

    def __init__(self) -> None:
        self.clock = FakeClock()

    async def node(self, node_id: str) -> Leases:
        return LocalLeases(node_id, self.clock)

    async def restart(self, node_id: str) -> Leases:
        self.clock.advance(0.001)
        return LocalLeases(node_id, self.clock)

    async def lapse(self, room_id: str) -> None:
        self.clock.advance(31.0)

    async def close(self) -> None:
        pass


class RedisBackend:
    """Nodes on the real Redis under one prefix. A lease lapses when the test makes its key expire (the
    time-to-live itself is Redis's, in real time)."""

    def __init__(self) -> None:
        self.prefix = f"rs-test-leases:{uuid.uuid4().hex[:10]}:"
        self.clock = FakeClock()
        self.made: list[RedisLeases] = []

    async def _make(self, node_id: str) -> Leases:
        leases = RedisLeases.from_url(REDIS_URL, prefix=self.prefix, node_id=node_id, clock=self.clock)
        self.made.append(leases)
        try:
            await leases.owner("ping")
        except Exception as exc:
            unavailable("Redis at " + REDIS_URL, exc)
        return leases

    async def node(self, node_id: str) -> Leases:
        return await self._make(node_id)

    async def restart(self, node_id: str) -> Leases:
        return await self._make(node_id)

    async def lapse(self, room_id: str) -> None:
        await self.made[0]._redis.pexpire(self.prefix + "lease:" + room_id, 1)
        while await self.made[0]._redis.exists(self.prefix + "lease:" + room_id):
            pass

    async def close(self) -> None:
        if self.made:
            client = self.made[0]._redis
            keys = [k async for k in client.scan_iter(match=self.prefix + "*", count=1000)]
            if keys:
                await client.delete(*keys)
        for leases in self.made:
            await leases.aclose()


IMPLEMENTATIONS: dict[str, Callable[[], Backend]] = {"local": LocalBackend, "redis": RedisBackend}

#: Implementations whose nodes share one store of leases, like the nodes of a cluster.
SHARED: list[str] = ["redis"]


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()


@pytest.fixture(params=SHARED)
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()
