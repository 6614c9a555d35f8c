"""What every leases implementation promises (``roomservice.leases.base``)."""

from __future__ import annotations

import asyncio
import itertools

from roomservice.leases.base import Lease
from tests.leases.conftest import Backend


async def test_acquire_gives_this_node_a_lease(backend: Backend) -> None:
    leases = await backend.node("node-a")
    assert leases.node_id == "node-a"
    assert await leases.owner("room-1") is None
    lease = await leases.acquire("room-1")
    assert isinstance(lease, Lease)
    assert (lease.room_id, lease.owner) == ("room-1", "node-a")
    assert isinstance(lease.token, int) and lease.token > 0
    assert await leases.owner("room-1") == "node-a"
    assert await leases.owner("room-2") is None


async def test_tokens_strictly_increase_on_every_acquire(backend: Backend) -> None:
    leases = await backend.node("node-a")
    tokens = []
    for _ in range(20):
        lease = await leases.acquire("room-1")
        assert lease is not None
        tokens.append(lease.token)
    assert all(a < b for a, b in itertools.pairwise(tokens))


async def test_acquiring_a_held_room_again_supersedes_the_held_lease(backend: Backend) -> None:
    leases = await backend.node("node-a")
    old = await leases.acquire("room-1")
    new = await leases.acquire("room-1")
    assert old is not None and new is not None
    assert new.token > old.token and new.owner == "node-a"
    assert await leases.renew(old) is None
    await leases.release(old)  # stale: must not free the current lease
    assert await leases.owner("room-1") == "node-a"
    renewed = await leases.renew(new)
    assert renewed is not None and renewed.token == new.token


async def test_renew_keeps_the_token_and_does_not_move_expiry_back(backend: Backend) -> None:
    leases = await backend.node("node-a")
    lease = await leases.acquire("room-1")
    assert lease is not None
    renewed = await leases.renew(lease)
    assert renewed is not None
    assert (renewed.room_id, renewed.owner, renewed.token) == (lease.room_id, lease.owner, lease.token)
    assert renewed.expires_at >= lease.expires_at
    again = await leases.renew(renewed)
    assert again is not None and again.token == lease.token


async def test_release_frees_the_room_and_the_next_acquire_has_a_higher_token(backend: Backend) -> None:
    leases = await backend.node("node-a")
    first = await leases.acquire("room-1")
    assert first is not None
    await leases.release(first)
    assert await leases.owner("room-1") is None
    await leases.release(first)  # twice: nothing happens
    second = await leases.acquire("room-1")
    assert second is not None and second.token > first.token


async def test_renewing_a_released_lease_gives_none(backend: Backend) -> None:
    leases = await backend.node("node-a")
    lease = await leases.acquire("room-1")
    assert lease is not None
    await leases.release(lease)
    assert await leases.renew(lease) is None
    assert await leases.owner("room-1") is None


async def test_rooms_are_leased_independently(backend: Backend) -> None:
    leases = await backend.node("node-a")
    one = await leases.acquire("room-1")
    two = await leases.acquire("room-2")
    assert one is not None and two is not None
    await leases.release(one)
    assert await leases.owner("room-1") is None
    assert await leases.owner("room-2") == "node-a"
    assert await leases.renew(two) is not None


async def test_a_restarted_node_continues_above_every_token_it_gave(backend: Backend) -> None:
    before = await backend.node("node-a")
    given = []
    for room in ("room-1", "room-2", "room-1", "room-3"):
        lease = await before.acquire(room)
        assert lease is not None
        given.append(lease.token)
    after = await backend.restart("node-a")
    lease = await after.acquire("room-1")
    assert lease is not None and lease.token > max(given)


# -- nodes sharing one store: only implementations listed in SHARED ------------------------------------


async def test_a_room_held_by_one_node_is_refused_to_another(shared: Backend) -> None:
    a, b = await shared.node("node-a"), await shared.node("node-b")
    held = await a.acquire("room-1")
    assert held is not None
    assert await b.acquire("room-1") is None
    assert await b.owner("room-1") == "node-a"
    assert await a.owner("room-1") == "node-a"


async def test_after_a_release_another_node_takes_the_room_with_a_higher_token(shared: Backend) -> None:
    a, b = await shared.node("node-a"), await shared.node("node-b")
    first = await a.acquire("room-1")
    assert first is not None
    await a.release(first)
    taken = await b.acquire("room-1")
    assert taken is not None and taken.owner == "node-b" and taken.token > first.token
    assert await a.renew(first) is None
    await a.release(first)  # the former owner's stale release leaves the new owner in place
    assert await a.owner("room-1") == "node-b"
    assert await a.acquire("room-1") is None


async def test_a_node_cannot_renew_or_release_a_lease_of_another(shared: Backend) -> None:
    a, b = await shared.node("node-a"), await shared.node("node-b")
    held = await a.acquire("room-1")
    assert held is not None
    await b.release(held)
    assert await b.owner("room-1") == "node-a"
    assert await a.renew(held) is not None


async def test_a_lapsed_lease_is_taken_by_another_node_and_lost_to_its_former_owner(shared: Backend) -> None:
    a, b = await shared.node("node-a"), await shared.node("node-b")
    held = await a.acquire("room-1")
    assert held is not None
    await shared.lapse("room-1")
    assert await b.owner("room-1") is None
    taken = await b.acquire("room-1")
    assert taken is not None and taken.token > held.token
    assert await a.renew(held) is None
    assert await a.acquire("room-1") is None
    assert await a.owner("room-1") == "node-b"


async def test_two_nodes_racing_for_a_room_give_it_to_one(shared: Backend) -> None:
    nodes = [await shared.node(f"node-{i}") for i in range(8)]
    won = [lease for lease in await asyncio.gather(*(n.acquire("room-1") for n in nodes)) if lease]
    assert len(won) == 1
    assert await nodes[0].owner("room-1") == won[0].owner


async def test_renewing_many_renews_each_held_lease_and_answers_none_for_each_lost_one(
    backend: Backend,
) -> None:
    leases = await backend.node("node-a")
    held = [await leases.acquire(f"room-{i}") for i in range(3)]
    assert all(lease is not None for lease in held)
    first, second, third = held
    assert first is not None and second is not None and third is not None
    await leases.release(second)
    renewed = await leases.renew_many([first, second, third])
    assert renewed[1] is None
    for before, after in ((first, renewed[0]), (third, renewed[2])):
        assert after is not None and after.token == before.token and after.expires_at >= before.expires_at
    assert await leases.renew_many([]) == []
