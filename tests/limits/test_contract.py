"""What every rate-limit counters implementation promises (``roomservice.limits.base``)."""

from __future__ import annotations

import asyncio

from tests.limits.conftest import Backend, RedisBackend


async def test_a_bucket_spends_its_burst_then_one_token_per_refill(backend: Backend) -> None:
    buckets = (await backend.node()).buckets("things", 30)
    for _ in range(30):
        assert await buckets.take("10.0.0.1") == 0
    assert await buckets.take("10.0.0.1") == 2  # 30 a minute: one back every 2 s
    backend.clock.advance(1)
    assert await buckets.take("10.0.0.1") == 1
    backend.clock.advance(1)
    assert await buckets.take("10.0.0.1") == 0
    assert await buckets.take("10.0.0.1") == 2


async def test_a_refused_take_spends_nothing(backend: Backend) -> None:
    buckets = (await backend.node()).buckets("things", 1)
    assert await buckets.take("k") == 0
    for _ in range(5):
        assert await buckets.take("k") == 60
    backend.clock.advance(60)
    assert await buckets.take("k") == 0


async def test_a_bucket_refills_no_higher_than_its_size(backend: Backend) -> None:
    buckets = (await backend.node()).buckets("things", 3)
    assert await buckets.take("k") == 0
    backend.clock.advance(3600)
    for _ in range(3):
        assert await buckets.take("k") == 0
    assert await buckets.take("k") == 20


async def test_a_token_given_back_can_be_spent_again_but_never_overfills(backend: Backend) -> None:
    buckets = (await backend.node()).buckets("things", 2)
    await buckets.give_back("fresh")  # a full bucket stays full
    assert [await buckets.take("fresh") for _ in range(3)] == [0, 0, 30]
    await buckets.give_back("fresh")
    assert await buckets.take("fresh") == 0
    assert await buckets.take("fresh") == 30


async def test_keys_and_names_are_counted_apart(backend: Backend) -> None:
    counters = await backend.node()
    a, b = counters.buckets("a", 1), counters.buckets("b", 1)
    assert await a.take("k") == 0
    assert await a.take("k") == 60
    assert await a.take("other") == 0
    assert await b.take("k") == 0


async def test_zero_a_minute_never_refuses(backend: Backend) -> None:
    buckets = (await backend.node()).buckets("off", 0)
    assert [await buckets.take("k") for _ in range(100)] == [0] * 100
    await buckets.give_back("k")


async def test_a_window_counts_attempts_and_says_when_the_oldest_leaves(backend: Backend) -> None:
    window = (await backend.node()).window("login", 3, 60)
    assert await window.take("ann") == 0
    backend.clock.advance(10)
    assert await window.take("ann") == 0
    assert await window.take("ann") == 0
    assert await window.take("ann") == 50  # the first attempt leaves the window in 50 s
    assert await window.take("bob") == 0
    backend.clock.advance(50)
    assert await window.take("ann") == 0
    assert await window.take("ann") == 10


async def test_forgiving_uncounts_the_newest_attempt(backend: Backend) -> None:
    window = (await backend.node()).window("login", 2, 60)
    assert await window.take("ann") == 0
    backend.clock.advance(30)
    assert await window.take("ann") == 0
    await window.forgive("ann")
    assert await window.take("ann") == 0
    assert await window.take("ann") == 30  # the oldest, kept, leaves in 30 s
    await window.forgive("nobody")


async def test_parallel_takes_never_spend_more_than_the_bucket_holds(backend: Backend) -> None:
    counters = await backend.node()
    buckets, window = counters.buckets("burst", 10), counters.window("tries", 10, 60)
    spent = await asyncio.gather(*(buckets.take("k") for _ in range(40)))
    assert spent.count(0) == 10
    counted = await asyncio.gather(*(window.take("k") for _ in range(40)))
    assert counted.count(0) == 10


async def test_nodes_on_one_redis_share_every_limit(redis_backend: RedisBackend) -> None:
    """The cluster's case: two nodes' counters on one Redis and prefix spend one bucket and fill one
    window, so a client cannot get twice the limit by spreading its requests over the nodes."""
    a, b = await redis_backend.node(), await redis_backend.node()
    on_a, on_b = a.buckets("sessions", 4), b.buckets("sessions", 4)
    spent = await asyncio.gather(*(side.take("10.0.0.9") for side in (on_a, on_b) for _ in range(4)))
    assert spent.count(0) == 4
    assert await on_a.take("10.0.0.9") == 15
    await on_b.give_back("10.0.0.9")
    assert await on_a.take("10.0.0.9") == 0
    tries_a, tries_b = a.window("login", 2, 900), b.window("login", 2, 900)
    assert await tries_a.take("ann") == 0
    assert await tries_b.take("ann") == 0
    assert await tries_a.take("ann") == 900
    await tries_a.forgive("ann")
    assert await tries_b.take("ann") == 0
