"""A person alone against the server's bots, through a real server: the bots play from their own
views, their moves go through the runner like anyone's (logged, replayable), and time moves only when
the test says so (a bot thinks ``THINK_SECONDS`` on the scheduler before each move)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest

from roomservice.bots import cabo, tictactoe
from roomservice.bots.play import play
from roomservice.client import Client, GameEvent, GameState, PlayerLeft, RoomState
from roomservice.config import Settings
from roomservice.engine.bots import THINK_SECONDS
from roomservice.engine.machine import GameMachine, Step
from roomservice.games.registry import default_registry
from roomservice.store import games as repo
from tests.conftest import Server
from tests.fakes import ManualScheduler

pytestmark = pytest.mark.manual_time


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.games = "tests.engine.games:Beacon"
    return settings


@pytest.fixture
async def client(server: Server) -> AsyncIterator[Client]:
    made = Client(server.http)
    yield made
    await made.aclose()


async def _saved(server: Server, room_id: str) -> tuple[repo.GameRecord, list[repo.ActionEntry]]:
    db = server.app.state.services.db
    async with db.read() as conn:
        record = await repo.latest_game(conn, room_id)
        assert record is not None
        steps = await repo.actions_after(conn, record.game_id, 0)
    return record, steps


async def test_a_person_plays_tictactoe_against_a_bot(
    server: Server, client: Client, scheduler: ManualScheduler
) -> None:
    me = (await client.create_session("alice")).session_id
    room = await client.create_room("solo", "tictactoe", config={"bots": 1})
    bot = next(p for p in room.players if p.bot)
    assert room.config.bots == 1 and bot.username == "Bot 1" and bot.role == "player"
    sock = await client.connect()
    state = await sock.wait_for(RoomState, timeout=10)
    shown = {p.session_id: (p.bot, p.online) for p in state.room.players}
    assert shown == {me: (False, True), bot.session_id: (True, True)}  # a bot is always online

    await client.start(room.room_code)
    view = await sock.wait_for(GameState, timeout=10)
    rng = random.Random(1)
    while view.result is None:
        if view.state["turn"] == me:
            move = tictactoe.choose(view.state, me, rng)
            await sock.action(move, ref=view.version)
            view = await sock.wait_for(GameState, lambda e, ref=view.version: e.ref == ref, timeout=10)
            continue
        # The bot's turn: nothing happens until it has thought.
        await scheduler.advance(THINK_SECONDS / 2)
        await asyncio.sleep(0.05)
        assert sock.last_seq() == view.seq
        await scheduler.advance(THINK_SECONDS / 2)
        view = await sock.wait_for(GameState, lambda e, v=view.version: e.version > v, timeout=10)
    assert view.result["winners"] in ([], [me], [bot.session_id])

    # The bot's moves are in the log like the person's, and the game replays from it.
    record, steps = await _saved(server, room.room_id)
    players = {s.player for s in steps if s.kind == "action"}
    assert players == {me, bot.session_id}
    assert record.bots == [bot.session_id]  # a result can leave the bot out (leaderboards)
    machine, _ = GameMachine.setup(
        default_registry().get("tictactoe"),
        seed=record.seed,
        players=record.players,
        options=record.options,
        dev=record.dev,
        now=record.started_at,
    )
    machine.replay(Step(s.kind, s.player, s.payload, s.at, s.ticks) for s in steps)
    assert machine.state["board"] == view.state["board"]


async def test_one_person_and_three_bots_finish_a_cabo_game(
    server: Server, client: Client, scheduler: ManualScheduler
) -> None:
    me = (await client.create_session("alice")).session_id
    room = await client.create_room("solo", "cabo", config={"max_players": 4, "bots": 3})
    bots = {p.session_id for p in room.players if p.bot}
    assert len(bots) == 3
    sock = await client.connect()
    await sock.wait_for(RoomState, timeout=10)
    await client.start(room.room_code)

    async def clock() -> None:
        while True:
            await scheduler.advance(THINK_SECONDS)
            await asyncio.sleep(0.002)

    moving = asyncio.create_task(clock())
    seen: list[object] = []
    try:
        final = await asyncio.wait_for(play(sock, me, cabo.choose, random.Random(2), seen=seen), 120)
    finally:
        moving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await moving
    assert final.result is not None and final.result["winners"]
    # Every bot played: its moves reached the person as events.
    actors = {e.data.get("player") for e in seen if isinstance(e, GameEvent)}
    assert bots <= actors


async def test_bots_get_no_grace_after_a_restart(server: Server, scheduler: ManualScheduler) -> None:
    """What the hub does for seats at a start: a grace for each person without a socket, none for a
    bot, so the grace running out takes the absent person's seat and leaves the bot's."""
    async with Client(server.http) as alice, Client(server.http) as bob:
        await alice.create_session("alice")
        b = (await bob.create_session("bob")).session_id
        room = await alice.create_room("r", "cabo", config={"max_players": 4, "bots": 1})
        await bob.join(room.room_code)
        sock = await alice.connect()
        await sock.wait_for(RoomState, timeout=10)
        hub = server.app.state.services.hub
        assert await hub.restore() == 1  # bob's seat only: alice is here, the bot needs no socket
        await scheduler.advance(room.config.reconnect_grace_seconds + 1)
        left = await sock.wait_for(PlayerLeft, timeout=10)
        assert (left.session_id, left.reason) == (b, "disconnected")
        after = await alice.room(room.room_code)
        assert [(p.username, p.bot) for p in after.players] == [("alice", False), ("Bot 1", True)]


async def test_bots_of_a_real_time_game_answer_every_view_without_thinking(
    server: Server, client: Client
) -> None:
    """The scheduler's time never moves here: a real-time game's bots act on its views as they come
    (``Beacon``: 10 views a second for one second), each from its own view."""
    me = (await client.create_session("alice")).session_id
    room = await client.create_room("rt", "beacon", config={"max_players": 3, "bots": 2})
    bots = [p.session_id for p in room.players if p.bot]
    sock = await client.connect()
    await sock.wait_for(RoomState, timeout=10)
    await client.start(room.room_code)
    final = await sock.wait_for(GameState, lambda e: e.result is not None, timeout=10)
    answers = final.result["answers"]
    assert answers[me] == 0
    for bot in bots:
        assert answers[bot] >= 8  # about one per view: 10 in the game's second
    _, steps = await _saved(server, room.room_id)
    assert {s.player for s in steps if s.kind == "action"} == set(bots)
