"""The in-process leases: what only a node alone can promise, and expiry on a moved clock."""

from __future__ import annotations

import pytest

from roomservice.leases.local import LocalLeases
from tests.conftest import FakeClock


async def test_every_acquire_succeeds_and_expires_one_ttl_later() -> None:
    clock = FakeClock(start=1_000.0)
    leases = LocalLeases("node-a", clock, ttl=10.0)
    lease = await leases.acquire("room-1")
    assert lease is not None and lease.expires_at == 1_010.0
    assert lease.token == 1_000_000_001  # above the clock in microseconds at start


async def test_a_lease_not_renewed_lapses_and_a_lapsed_one_may_still_be_renewed() -> None:
    clock = FakeClock(start=1_000.0)
    leases = LocalLeases("node-a", clock, ttl=10.0)
    lease = await leases.acquire("room-1")
    assert lease is not None
    clock.advance(9.0)
    renewed = await leases.renew(lease)
    assert renewed is not None and renewed.expires_at == 1_019.0
    clock.advance(10.0)
    assert await leases.owner("room-1") is None
    # Nobody else can have taken it: the owner may pick it up again with the same token.
    back = await leases.renew(renewed)
    assert back is not None and back.token == lease.token and back.expires_at == 1_029.0
    assert await leases.owner("room-1") == "node-a"


async def test_tokens_follow_the_clock_so_a_later_process_starts_above() -> None:
    clock = FakeClock(start=1_000.0)
    first = LocalLeases("node-a", clock)
    tokens = []
    for _ in range(1_000):
        lease = await first.acquire("room-1")
        assert lease is not None
        tokens.append(lease.token)
    assert tokens[-1] == 1_000_001_000  # faster than the clock: one above the last
    clock.advance(0.5)
    lease = await first.acquire("room-1")
    assert lease is not None and lease.token == 1_000_500_000  # the clock caught up
    clock.advance(0.001)
    restarted = LocalLeases("node-a", clock)
    again = await restarted.acquire("room-1")
    assert again is not None and again.token > lease.token


async def test_the_default_node_id_names_this_process() -> None:
    import os

    leases = LocalLeases()
    assert str(os.getpid()) in leases.node_id
    lease = await leases.acquire("room-1")
    assert lease is not None and lease.owner == leases.node_id


def test_a_ttl_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError):
        LocalLeases("node-a", ttl=0)
