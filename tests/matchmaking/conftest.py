"""Every matchmaking queue backend, for the contract suite. The Redis one runs on the real Redis
(``ROOMSERVICE_TEST_REDIS_URL``, database 14 by default here) under a key prefix of its own, and fails
under CI when Redis is missing."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from roomservice.config import Settings
from roomservice.matchmaking.base import MatchQueue
from roomservice.matchmaking.local import LocalQueue
from roomservice.matchmaking.redis import RedisQueue
from tests.conftest import unavailable
from tests.fakes import ManualScheduler

REDIS_URL = os.environ.get("ROOMSERVICE_TEST_MATCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PREFIX = "rs-test-mm:"  # each test adds a part of its own

#: A new queue on the given clock, as one node would build it; the prefix keeps tests apart.
MakeQueue = Callable[[ManualScheduler, str], Awaitable[MatchQueue]]


async def _local(clock: ManualScheduler, prefix: str) -> MatchQueue:
    return LocalQueue(clock=clock)


async def _redis(clock: ManualScheduler, prefix: str) -> MatchQueue:
    queue = RedisQueue.from_settings(Settings(redis_url=REDIS_URL, redis_prefix=prefix))
    try:
        await queue.stats("ping")
    except Exception as exc:
        await queue.aclose()
        unavailable("Redis at " + REDIS_URL, exc)
    return queue


#: What the ``make_queue`` fixture gives: one more queue of the backend under test, on one shared store.
MakeOne = Callable[[ManualScheduler], Awaitable[MatchQueue]]

IMPLEMENTATIONS: dict[str, MakeQueue] = {"local": _local, "redis": _redis}


async def flush_prefix(prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    except Exception:
        pass
    finally:
        await client.aclose()


@pytest.fixture
def scheduler() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def make_queue(request: pytest.FixtureRequest) -> AsyncIterator[MakeOne]:
    prefix = f"{PREFIX}{uuid.uuid4().hex[:8]}:"
    made: list[MatchQueue] = []

    async def make(clock: ManualScheduler) -> MatchQueue:
        queue = await IMPLEMENTATIONS[request.param](clock, prefix)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        await queue.aclose()
    if request.param == "redis":
        await flush_prefix(prefix + "mm:")


@pytest.fixture
async def queue(make_queue: MakeOne, scheduler: ManualScheduler) -> MatchQueue:
    return await make_queue(scheduler)
