"""The queue seam's contract, written against the Protocol only; runs on every backend."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from roomservice.matchmaking.base import AlreadyQueued, MatchQueue, Placement, Status
from tests.fakes import ManualScheduler
from tests.matchmaking.conftest import MakeOne

_ids = itertools.count()


async def file(
    queue: MatchQueue, session: str, *, pool: str = "g|{}", max_size: int = 5, at: float = 100.0
) -> Placement:
    return await queue.add(
        ticket_id=f"t{next(_ids)}-{session}",
        session_id=session,
        username=session.upper(),
        game=pool.split("|")[0],
        pool=pool,
        queued_at=at,
        max_size=max_size,
    )


async def test_a_ticket_is_searching_in_a_new_group(queue: MatchQueue) -> None:
    placed = await file(queue, "a")
    assert placed.size == 1 and placed.room_code is None
    ticket = await queue.get(placed.ticket.ticket_id)
    assert ticket is not None
    assert ticket.status is Status.SEARCHING
    assert ticket.session_id == "a" and ticket.username == "A" and ticket.queued_at == 100.0
    assert ticket.to_dict() == {
        "ticket_id": ticket.ticket_id,
        "game": "g",
        "status": "searching",
        "queued_at": "1970-01-01T00:01:40Z",
    }
    assert await queue.get("nope") is None


async def test_one_live_ticket_per_session(queue: MatchQueue) -> None:
    first = await file(queue, "a")
    with pytest.raises(AlreadyQueued) as caught:
        await file(queue, "a")
    assert caught.value.ticket_id == first.ticket.ticket_id
    await queue.withdraw(first.ticket.ticket_id, Status.CANCELLED)
    again = await file(queue, "a")
    assert again.ticket.status is Status.SEARCHING


async def test_two_racing_tickets_of_one_session_one_wins(queue: MatchQueue) -> None:
    results = await asyncio.gather(file(queue, "a"), file(queue, "a"), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["AlreadyQueued", "Placement"]


async def test_tickets_fill_one_group_until_max_then_a_new_one(queue: MatchQueue) -> None:
    placed = [await file(queue, f"s{i}", max_size=3) for i in range(4)]
    assert [p.size for p in placed] == [1, 2, 3, 1]
    assert len({p.ticket.group_id for p in placed[:3]}) == 1
    assert placed[3].ticket.group_id != placed[0].ticket.group_id
    group = await queue.group(placed[0].ticket.group_id)
    assert (
        group is not None
        and group.size == 3
        and group.ticket_ids == tuple(p.ticket.ticket_id for p in placed[:3])
    )


async def test_the_fullest_open_group_fills_first_ties_the_oldest(queue: MatchQueue) -> None:
    a = [await file(queue, f"a{i}", max_size=3) for i in range(3)]  # group 1 full
    b = await file(queue, "b0", max_size=3)  # group 2: 1
    c = await file(queue, "c0", max_size=3)  # group 2: 2
    assert b.ticket.group_id == c.ticket.group_id
    # a player of the full group leaves: group 1 (2 tickets, older) and group 2 (2 tickets) tie
    await queue.match(a[0].ticket.group_id, 101.0)
    assert await queue.leave(a[0].ticket.ticket_id)
    d = await file(queue, "d0", max_size=3)
    assert d.ticket.group_id == a[0].ticket.group_id and d.size == 3
    e = await file(queue, "e0", max_size=3)
    assert e.ticket.group_id == b.ticket.group_id and e.size == 3


async def test_pools_do_not_mix(queue: MatchQueue) -> None:
    x = await file(queue, "a", pool='g|{"x":1}')
    y = await file(queue, "b", pool='g|{"x":2}')
    assert x.ticket.group_id != y.ticket.group_id


async def test_withdraw_frees_the_place(queue: MatchQueue) -> None:
    a = await file(queue, "a", max_size=2)
    gone = await queue.withdraw(a.ticket.ticket_id, Status.EXPIRED)
    assert gone is not None and gone.status is Status.EXPIRED
    b = await file(queue, "b", max_size=2)
    assert b.size == 1
    assert (await queue.stats("g")).searching == 1


async def test_match_then_cancel_is_refused_and_cancel_then_match_skips(queue: MatchQueue) -> None:
    a = await file(queue, "a")
    b = await file(queue, "b")
    cancelled = await queue.withdraw(b.ticket.ticket_id, Status.CANCELLED)
    assert cancelled is not None and cancelled.status is Status.CANCELLED
    matched = await queue.match(a.ticket.group_id, 110.0)
    assert [t.ticket_id for t in matched] == [a.ticket.ticket_id]
    assert matched[0].status is Status.MATCHED and matched[0].waited == pytest.approx(10.0)
    late = await queue.withdraw(a.ticket.ticket_id, Status.CANCELLED)
    assert late is not None and late.status is Status.MATCHED
    still = await queue.get(b.ticket.ticket_id)
    assert still is not None and still.status is Status.CANCELLED


async def test_match_needs_the_minimum_at_that_moment(queue: MatchQueue) -> None:
    a = await file(queue, "a")
    b = await file(queue, "b")
    await queue.withdraw(a.ticket.ticket_id, Status.CANCELLED)
    assert await queue.match(b.ticket.group_id, 101.0, 2) == []
    ticket = await queue.get(b.ticket.ticket_id)
    assert ticket is not None and ticket.status is Status.SEARCHING
    c = await file(queue, "c")
    assert [t.ticket_id for t in await queue.match(c.ticket.group_id, 101.0, 2)] == [
        b.ticket.ticket_id,
        c.ticket.ticket_id,
    ]


async def test_a_group_whose_room_is_being_made_is_not_matched_again(queue: MatchQueue) -> None:
    first = [await file(queue, f"a{i}") for i in range(3)]
    group_id = first[0].ticket.group_id
    assert len(await queue.match(group_id, 101.0, 3)) == 3  # one node makes the room
    late = await file(queue, "late")
    assert late.ticket.group_id == group_id and late.size == 4
    # A second node settling the group before the room is named: nothing (it would make a second room).
    assert await queue.match(group_id, 101.0, 3) == []
    assert await queue.bind(group_id, "ABCD")  # the maker hears that a ticket waits
    assert [t.ticket_id for t in await queue.match(group_id, 102.0)] == [late.ticket.ticket_id]
    seated = await queue.get(late.ticket.ticket_id)
    assert seated is not None and seated.status is Status.MATCHED and seated.room_code == "ABCD"
    assert not await queue.bind(group_id, "ABCD")  # nobody waits now


async def test_cancel_racing_a_match_ends_one_way(queue: MatchQueue) -> None:
    for i in range(20):
        a = await file(queue, f"r{i}a", pool=f"race{i}|{{}}")
        b = await file(queue, f"r{i}b", pool=f"race{i}|{{}}")
        matched, withdrawn = await asyncio.gather(
            queue.match(a.ticket.group_id, 101.0), queue.withdraw(b.ticket.ticket_id, Status.CANCELLED)
        )
        final = await queue.get(b.ticket.ticket_id)
        assert final is not None and withdrawn is not None
        in_match = b.ticket.ticket_id in {t.ticket_id for t in matched}
        assert (final.status is Status.MATCHED) == in_match
        assert final.status in (Status.MATCHED, Status.CANCELLED)


async def test_bind_names_the_room_and_a_matched_ticket_stays_live_until_close(queue: MatchQueue) -> None:
    a = await file(queue, "a")
    await queue.match(a.ticket.group_id, 100.0)
    await queue.bind(a.ticket.group_id, "ABCD")
    ticket = await queue.get(a.ticket.ticket_id)
    assert ticket is not None and ticket.room_code == "ABCD" and ticket.to_dict()["room_code"] == "ABCD"
    with pytest.raises(AlreadyQueued):
        await file(queue, "a")
    group = await queue.group(a.ticket.group_id)
    assert group is not None and group.room_code == "ABCD" and not group.closed
    assert await queue.close(a.ticket.group_id) == []
    assert not await queue.leave(a.ticket.ticket_id)  # started: the seat is not given back
    again = await file(queue, "a")
    assert again.ticket.group_id != a.ticket.group_id


async def test_close_places_its_searching_tickets_again(queue: MatchQueue) -> None:
    a = await file(queue, "a", max_size=3)
    await queue.match(a.ticket.group_id, 100.0)
    b = await file(queue, "b", max_size=3)  # joined just before the close
    assert b.ticket.group_id == a.ticket.group_id
    moved = await queue.close(a.ticket.group_id)
    ticket = await queue.get(b.ticket.ticket_id)
    assert ticket is not None and ticket.status is Status.SEARCHING
    assert moved == [ticket.group_id] and ticket.group_id != a.ticket.group_id
    c = await file(queue, "c", max_size=3)
    assert c.ticket.group_id == ticket.group_id and c.size == 2


async def test_leave_gives_the_seat_back(queue: MatchQueue) -> None:
    placed = [await file(queue, f"s{i}", max_size=2) for i in range(2)]
    gid = placed[0].ticket.group_id
    await queue.match(gid, 100.0)
    assert await queue.leave(placed[1].ticket.ticket_id)
    left = await queue.get(placed[1].ticket.ticket_id)
    assert left is not None and left.status is Status.CANCELLED
    c = await file(queue, "c", max_size=2)
    assert c.ticket.group_id == gid and c.size == 2
    assert not await queue.leave(c.ticket.ticket_id)  # searching, not matched


async def test_stats(queue: MatchQueue) -> None:
    empty = await queue.stats("g")
    assert (empty.searching, empty.open_rooms, empty.median_wait_seconds) == (0, 0, 0.0)
    a = await file(queue, "a", max_size=2, at=100.0)
    await file(queue, "b", max_size=2, at=104.0)
    await file(queue, "c", max_size=2, at=104.0)
    stats = await queue.stats("g")
    assert (stats.searching, stats.open_rooms) == (3, 1)
    await queue.match(a.ticket.group_id, 110.0)
    stats = await queue.stats("g")
    assert (stats.searching, stats.open_rooms, stats.median_wait_seconds) == (1, 1, 8.0)
    assert (await queue.stats("other")).searching == 0


async def test_shared_backends_share_one_queue(make_queue: MakeOne, scheduler: ManualScheduler) -> None:
    first = await make_queue(scheduler)
    second = await make_queue(scheduler)
    if type(first).__name__ == "LocalQueue":
        pytest.skip("in-process queues are one node each")
    a = await file(first, "a")
    b = await file(second, "b")
    assert a.ticket.group_id == b.ticket.group_id
    with pytest.raises(AlreadyQueued):
        await file(second, "a")
