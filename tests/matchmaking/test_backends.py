"""What each backend does on its own beyond the contract: how long it keeps what no longer changes, and
how the Redis queue's steps sent together in one script call answer each caller."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from roomservice.config import Settings
from roomservice.matchmaking.base import Placement, Status
from roomservice.matchmaking.local import LocalQueue
from roomservice.matchmaking.redis import RedisQueue
from tests.conftest import unavailable
from tests.fakes import ManualScheduler
from tests.matchmaking.conftest import PREFIX, REDIS_URL, flush_prefix


@contextlib.asynccontextmanager
async def _redis_queue(retention: float = 3600.0) -> AsyncIterator[tuple[RedisQueue, Redis, str]]:
    """A Redis queue under a prefix of its own, a client to look at its keys, and that prefix; the keys
    are deleted afterwards."""
    prefix = f"{PREFIX}{uuid.uuid4().hex[:8]}:"
    queue = RedisQueue.from_settings(Settings(redis_url=REDIS_URL, redis_prefix=prefix), retention=retention)
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        try:
            await client.ping()
        except Exception as exc:
            unavailable("Redis at " + REDIS_URL, exc)
        yield queue, client, prefix
    finally:
        await queue.aclose()
        await client.aclose()
        await flush_prefix(prefix)


async def test_the_local_queue_forgets_old_tickets_and_groups() -> None:
    clock = ManualScheduler()
    queue = LocalQueue(clock=clock, retention=100.0)
    old = await queue.add(
        ticket_id="old", session_id="a", username="A", game="g", pool="g|{}", queued_at=clock(), max_size=3
    )
    await queue.withdraw("old", Status.CANCELLED)
    await clock.advance(101)
    await queue.add(
        ticket_id="new", session_id="b", username="B", game="g", pool="g|{}", queued_at=clock(), max_size=3
    )
    assert await queue.get("old") is None and await queue.group(old.ticket.group_id) is None
    assert await queue.get("new") is not None


async def test_redis_keys_carry_a_ttl_under_the_configured_prefix() -> None:
    async with _redis_queue(retention=50.0) as (queue, client, prefix):
        placed = await queue.add(
            ticket_id="t1", session_id="s1", username="S", game="g", pool="g|{}", queued_at=1.0, max_size=3
        )
        keys = sorted([k async for k in client.scan_iter(match=prefix + "*")])
        assert keys and all(k.startswith(prefix + "mm:") for k in keys)
        for key in (f"{prefix}mm:t:t1", f"{prefix}mm:s:s1", f"{prefix}mm:g:{placed.ticket.group_id}"):
            assert 0 < await client.ttl(key) <= 50


async def test_redis_an_open_group_whose_keys_expired_takes_no_more_tickets() -> None:
    """The open sets carry no TTL: a group whose hash expired (no change for the retention) stays named
    there. The next ticket drops it and goes to a live group, as if it had never been."""
    async with _redis_queue() as (queue, client, prefix):

        async def add(n: int) -> Placement:
            return await queue.add(
                ticket_id=f"t{n}",
                session_id=f"s{n}",
                username="S",
                game="g",
                pool="g|{}",
                queued_at=float(n),
                max_size=3,
            )

        old = (await add(1)).ticket.group_id
        await add(2)
        for key in (f"{prefix}mm:g:{old}", f"{prefix}mm:g:{old}:t", f"{prefix}mm:t:t1", f"{prefix}mm:t:t2"):
            await client.delete(key)  # an hour without a change: the keys' TTL ran out
        placed = [await add(n) for n in (3, 4, 5)]
        new = placed[0].ticket.group_id
        assert new != old and {p.ticket.group_id for p in placed} == {new}
        assert [p.size for p in placed] == [1, 2, 3]
        assert len(await queue.match(new, 9.0, 3)) == 3
        assert await client.zscore(f"{prefix}mm:open:g|{{}}", old) is None
        assert not await client.sismember(f"{prefix}mm:opengame:g", old)


async def test_redis_steps_sent_together_fail_alone() -> None:
    async with _redis_queue() as (queue, client, prefix):
        await client.set(f"{prefix}mm:t:broken", "not a ticket")  # a step on it meets a WRONGTYPE error

        def add(n: int) -> Any:
            return queue.add(
                ticket_id=f"t{n}",
                session_id=f"s{n}",
                username="S",
                game="g",
                pool="g|{}",
                queued_at=1.0,
                max_size=5,
            )

        # Asked for at once: one batch, one script call.
        answers = await asyncio.gather(
            add(1), queue.withdraw("broken", Status.CANCELLED), add(2), return_exceptions=True
        )
        assert isinstance(answers[1], ResponseError) and "WRONGTYPE" in str(answers[1])
        assert [a.size for a in answers if isinstance(a, Placement)] == [1, 2]  # one group, in order
        assert (await add(3)).size == 3  # and the next batch runs as usual
