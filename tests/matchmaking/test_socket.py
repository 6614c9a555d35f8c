"""Matchmaking as a client sees it, over a real server with time moved by hand: the socket frames
(``match_found`` then the room's ``room_state``, ``match_countdown``, ``match_timeout``) through the
Python client's typed events and its ``queue``/``ticket``/``cancel`` calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from roomservice.client import (
    ApiError,
    Client,
    Event,
    GameState,
    MatchCountdown,
    MatchFound,
    MatchTimeout,
    RoomState,
    RoomUpdated,
    Socket,
)
from roomservice.config import Settings
from roomservice.web.app import create_app
from tests.conftest import Server
from tests.fakes import ManualScheduler

HUDDLE = "tests.matchmaking.games:Huddle"


@pytest.fixture
def sched() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
async def mm_server(server_settings: Settings, sched: ManualScheduler) -> AsyncIterator[Server]:
    import uvicorn

    from roomservice.web.server import uvicorn_config

    server_settings.games = HUDDLE
    app = create_app(server_settings, clock=sched, scheduler=sched, background=False)
    instance = uvicorn.Server(uvicorn_config(app, server_settings, log_level="warning"))
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield Server(app, instance.servers[0].sockets[0].getsockname()[1])
    instance.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def players(mm_server: Server) -> AsyncIterator[list[Client]]:
    made = [Client(mm_server.http) for _ in range(6)]
    for i, client in enumerate(made):
        await client.create_session(f"p{i}")
    yield made
    for client in made:
        await client.aclose()


async def events_until(socket: Socket, kind: type[Event]) -> list[Event]:
    seen: list[Event] = []
    while not isinstance(seen[-1] if seen else None, kind):
        seen.append(await socket.next())
    return seen


async def test_match_found_then_the_rooms_state_then_the_game(players: list[Client]) -> None:
    alice, bob = players[:2]
    a, b = await alice.connect(), await bob.connect()
    ticket = await alice.queue("tictactoe")
    assert ticket.status == "searching" and ticket.game == "tictactoe" and ticket.room_code is None
    with pytest.raises(ApiError) as caught:
        await alice.queue("tictactoe")
    assert caught.value.code == "already_queued"
    await bob.queue("tictactoe")
    seen = await events_until(a, GameState)
    found, state = seen[0], seen[1]
    assert isinstance(found, MatchFound) and found.ticket_id == ticket.ticket_id
    assert isinstance(state, RoomState) and state.room.room_code == found.room_code
    assert [p.username for p in state.players] == ["p0", "p1"]
    assert a.room_code == found.room_code
    assert (await alice.ticket(ticket.ticket_id)).room_code == found.room_code
    assert isinstance(await b.wait_for(MatchFound), MatchFound)
    await b.wait_for(GameState)
    with pytest.raises(ApiError) as refused:
        await alice.cancel(ticket.ticket_id)
    assert refused.value.code == "already_matched"


async def test_the_countdown_reaches_every_player_and_the_room_starts(
    players: list[Client], sched: ManualScheduler
) -> None:
    sockets = [await p.connect() for p in players[:4]]
    for client in players[:3]:
        await client.queue("huddle")
    starts_at = round((sched.now() + 10) * 1000)
    for socket in sockets[:3]:
        found = await socket.wait_for(MatchFound)
        code = found.room_code
        await socket.wait_for(RoomState, lambda e, code=code: e.room.room_code == code)  # type: ignore[misc]
        countdown = await socket.wait_for(MatchCountdown)
        assert countdown.room_code == found.room_code and countdown.starts_at == starts_at
    await sched.advance(4)
    await players[3].queue("huddle")
    late = sockets[3]
    found = await late.wait_for(MatchFound)
    await late.wait_for(RoomState, lambda e: len(e.players) == 4)
    assert (await late.wait_for(MatchCountdown)).starts_at == starts_at  # the room's countdown, not a new one
    await sched.advance(6)
    for socket in sockets[:4]:
        started = await socket.wait_for(RoomUpdated, lambda e: e.room.state == "IN_GAME")
        assert started.room.room_code == found.room_code


async def test_a_ticket_that_times_out_says_so(players: list[Client], sched: ManualScheduler) -> None:
    alice = players[0]
    socket = await alice.connect()
    ticket = await alice.queue("huddle", {"rounds": 2})
    assert (await alice.matchmaking("huddle")).searching == 1
    await sched.advance(120)
    timeout = await socket.wait_for(MatchTimeout)
    assert timeout.ticket_id == ticket.ticket_id
    assert (await alice.ticket(ticket.ticket_id)).status == "expired"
    again = await alice.queue("huddle")
    assert await alice.cancel(again.ticket_id) == "cancelled"
    assert (await alice.ticket(again.ticket_id)).status == "cancelled"


async def test_tickets_filed_at_different_times_each_time_out_at_their_own(
    players: list[Client], sched: ManualScheduler
) -> None:
    alice, bob, carol = players[:3]
    sockets = [await alice.connect(), await bob.connect(), await carol.connect()]
    first = await alice.queue("huddle", {"rounds": 2})
    await sched.advance(60)
    second = await bob.queue("huddle", {"rounds": 3})
    cancelled = await carol.queue("huddle", {"rounds": 4})
    assert await carol.cancel(cancelled.ticket_id) == "cancelled"
    await sched.advance(60)
    assert (await sockets[0].wait_for(MatchTimeout)).ticket_id == first.ticket_id
    assert (await bob.ticket(second.ticket_id)).status == "searching"
    await sched.advance(59)
    assert (await bob.ticket(second.ticket_id)).status == "searching"
    await sched.advance(1)
    assert (await sockets[1].wait_for(MatchTimeout)).ticket_id == second.ticket_id
    assert (await carol.ticket(cancelled.ticket_id)).status == "cancelled"


async def test_a_session_that_connects_after_its_match_gets_its_room(players: list[Client]) -> None:
    alice, bob = players[:2]
    ticket = await alice.queue("tictactoe")
    await bob.queue("tictactoe")
    code = (await alice.ticket(ticket.ticket_id)).room_code
    socket = await alice.connect()
    first = await socket.next()
    assert isinstance(first, RoomState) and first.room.room_code == code
