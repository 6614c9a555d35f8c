"""Races, on both queue backends: the matchmaker over the real room service and database, without HTTP
(and time moved by hand, so no countdown ends unless a test says so)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roomservice.config import Settings
from roomservice.errors import Conflict
from roomservice.matchmaking.base import Status, Ticket
from roomservice.matchmaking.local import LocalQueue
from roomservice.matchmaking.service import Matchmaker
from roomservice.model import Session
from roomservice.services import Services, build_services
from roomservice.types import RoomState
from tests.fakes import ManualScheduler
from tests.matchmaking.conftest import MakeOne

HUDDLE = "tests.matchmaking.games:Huddle"


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[tuple[Services, ManualScheduler]]:
    sched = ManualScheduler()
    settings.games = HUDDLE
    built = await build_services(settings, clock=sched, scheduler=sched)
    yield built, sched
    await built.close()


@pytest.fixture
async def matchmaker(
    services: tuple[Services, ManualScheduler], make_queue: MakeOne
) -> AsyncIterator[Matchmaker]:
    """A matchmaker over the queue backend under test and the node's real parts."""
    svc, sched = services
    queue = await make_queue(sched)
    made = Matchmaker(
        svc.settings, svc.games, queue, svc.rooms, svc.outbox, svc.broker, svc.hub, svc.engine, sched
    )
    yield made
    await made.close()


async def sessions(svc: Services, n: int) -> list[Session]:
    return [(await svc.sessions.create(f"p{i}"))[0] for i in range(n)]


@pytest.mark.slow
async def test_a_thousand_concurrent_tickets_fill_exactly_two_hundred_rooms(
    services: tuple[Services, ManualScheduler], matchmaker: Matchmaker
) -> None:
    svc, _ = services
    players = await sessions(svc, 1000)
    tickets = await asyncio.gather(*(matchmaker.file(p, "huddle") for p in players))
    await matchmaker.idle()
    final = [await matchmaker.ticket(p, t.ticket_id) for p, t in zip(players, tickets, strict=True)]
    assert {t.status for t in final} == {Status.MATCHED}
    codes = {t.room_code for t in final}
    assert len(codes) == math.ceil(1000 / 5) and None not in codes
    seated: dict[str, str] = {}
    for code in codes:
        assert code is not None
        room = await svc.rooms.get(code)
        assert len(room.players) == 5 and room.state is RoomState.IN_GAME
        for member in room.players:
            assert member.session_id not in seated  # in exactly one room
            seated[member.session_id] = code
    assert seated == {t.session_id: t.room_code for t in final}


async def test_a_cancel_racing_the_match_ends_matched_or_cancelled(
    services: tuple[Services, ManualScheduler], matchmaker: Matchmaker
) -> None:
    svc, _ = services
    players = await sessions(svc, 27)
    outcomes = set()
    for rounds in range(1, 10):  # each round its own pool: a game option of its own
        a, b, c = players[3 * rounds - 3 : 3 * rounds]
        options = {"rounds": rounds}
        first = await matchmaker.file(a, "huddle", options)
        await matchmaker.file(b, "huddle", options)
        filed, cancelled = await asyncio.gather(
            matchmaker.file(c, "huddle", options),
            matchmaker.cancel(a, first.ticket_id),
            return_exceptions=True,
        )
        assert not isinstance(filed, BaseException)
        await matchmaker.idle()
        final = await matchmaker.ticket(a, first.ticket_id)
        seat = await svc.rooms.room_of(a.session_id)
        if isinstance(cancelled, Conflict):
            assert cancelled.code == "already_matched"
            assert final.status is Status.MATCHED and seat is not None and seat.room_code == final.room_code
        else:
            assert not isinstance(cancelled, BaseException)
            assert cancelled.status is Status.CANCELLED
            assert final.status is Status.CANCELLED and seat is None
            assert (await matchmaker.ticket(c, filed.ticket_id)).status is Status.SEARCHING
        outcomes.add(final.status)
    assert outcomes <= {Status.MATCHED, Status.CANCELLED}


async def test_a_session_filing_twice_at_once_gets_one_ticket(
    services: tuple[Services, ManualScheduler], matchmaker: Matchmaker
) -> None:
    svc, _ = services
    (alice,) = await sessions(svc, 1)
    results = await asyncio.gather(
        matchmaker.file(alice, "huddle"), matchmaker.file(alice, "huddle"), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1 and refused[0].code == "already_queued"


async def test_the_filing_that_fills_a_group_answers_before_the_seating_and_a_read_waits_for_it(
    services: tuple[Services, ManualScheduler], matchmaker: Matchmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filing answers once the ticket is queued; the seating of its group follows on its own (under a
    burst, many groups in one round). Reading a ticket on this node while its group is being seated
    waits for that, so it reads what the seating made of it."""
    svc, _ = services
    players = await sessions(svc, 3)
    held = asyncio.Event()
    seat_matches = svc.rooms.seat_matches

    async def slow_seating(asks: Any) -> Any:
        await held.wait()
        return await seat_matches(asks)

    monkeypatch.setattr(svc.rooms, "seat_matches", slow_seating)
    filed = [await matchmaker.file(p, "huddle") for p in players]  # the third fills the minimum
    assert [t.status for t in filed] == [Status.SEARCHING] * 3
    assert await svc.rooms.room_of(players[0].session_id) is None  # not seated yet
    got = asyncio.Event()
    get = matchmaker.queue.get

    async def get_and_tell(ticket_id: str) -> Ticket | None:
        found = await get(ticket_id)
        got.set()
        return found

    monkeypatch.setattr(matchmaker.queue, "get", get_and_tell)
    reading = asyncio.ensure_future(matchmaker.ticket(players[0], filed[0].ticket_id))
    try:
        await got.wait()  # the ticket was read, and its group is still being seated
        assert not reading.done()
    finally:
        held.set()
    read = await reading
    assert read.status is Status.MATCHED and read.room_code is not None
    room = await svc.rooms.get(read.room_code)
    assert {m.session_id for m in room.players} == {p.session_id for p in players}


async def test_a_queued_client_that_went_away_does_not_block_the_queue(
    services: tuple[Services, ManualScheduler], matchmaker: Matchmaker
) -> None:
    svc, sched = services
    gone, *others = await sessions(svc, 4)
    left_behind = await matchmaker.file(gone, "huddle")  # files, then never comes back
    await sched.advance(svc.settings.match_timeout)
    assert (await matchmaker.ticket(gone, left_behind.ticket_id)).status is Status.EXPIRED
    filed = [await matchmaker.file(p, "huddle") for p in others]
    final = [await matchmaker.ticket(p, t.ticket_id) for p, t in zip(others, filed, strict=True)]
    assert {t.status for t in final} == {Status.MATCHED}
    code = final[0].room_code
    assert code is not None
    room = await svc.rooms.get(code)
    assert {m.session_id for m in room.players} == {p.session_id for p in others}
    await sched.advance(svc.settings.match_countdown)
    assert (await svc.rooms.get(code)).state is RoomState.IN_GAME


async def test_two_nodes_sharing_the_queue_fill_each_group_into_one_room(
    services: tuple[Services, ManualScheduler], matchmaker: Matchmaker, make_queue: MakeOne
) -> None:
    """Two matchmakers on one shared queue and database, their tickets arriving together: a group
    settled by both at once still gets one room, and every room fills."""
    svc, sched = services
    queue = await make_queue(sched)
    if isinstance(queue, LocalQueue):
        pytest.skip("an in-process queue is not shared between nodes")
    other = Matchmaker(
        svc.settings, svc.games, queue, svc.rooms, svc.outbox, svc.broker, svc.hub, svc.engine, sched
    )
    try:
        players = await sessions(svc, 400)
        nodes = (matchmaker, other)

        async def client(node: Matchmaker, mine: list[Session]) -> list[Ticket]:
            return [await node.file(p, "huddle") for p in mine]  # one after another, as a client does

        # 32 clients, half on each node: tickets arrive all the time, on both nodes.
        shares = await asyncio.gather(*(client(nodes[i % 2], players[i::32]) for i in range(32)))
        players = [p for i in range(32) for p in players[i::32]]
        tickets = [t for share in shares for t in share]
        await matchmaker.idle()
        await other.idle()
    finally:
        await other.close()
    final = [await matchmaker.ticket(p, t.ticket_id) for p, t in zip(players, tickets, strict=True)]
    assert {t.status for t in final} == {Status.MATCHED}
    by_room: dict[str, set[str]] = {}
    for ticket in final:
        assert ticket.room_code is not None
        by_room.setdefault(ticket.room_code, set()).add(ticket.session_id)
    assert sorted(len(seated) for seated in by_room.values()) == [5] * 80
    for code, seated in by_room.items():
        assert {m.session_id for m in (await svc.rooms.get(code)).players} == seated
