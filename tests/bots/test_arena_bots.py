"""Five bots play a whole arena match through a real server, with persistence on; then the match is
rebuilt from its seed and its stored action log and must end exactly as it did."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roomservice.bots import arena as bot
from roomservice.bots.play import play
from roomservice.client import Client, Event, GameState
from roomservice.config import Settings
from roomservice.engine.machine import GameMachine, Step
from roomservice.games.arena import Arena
from roomservice.store import games as repo
from roomservice.store import rooms
from roomservice.types import RoomState
from tests.conftest import Server

PLAYERS = 5


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.persist_games = True
    return settings


@pytest.fixture
async def clients(server: Server) -> AsyncIterator[list[Client]]:
    made = [Client(server.http) for _ in range(PLAYERS)]
    yield made
    for client in made:
        await client.aclose()


async def _stored(server: Server, room_id: str) -> tuple[repo.GameRecord, repo.SnapshotEntry, list[Any]]:
    """The finished game's record, final snapshot and log, once the journal has written them."""
    services = server.app.state.services
    for _ in range(200):
        async with services.db.read() as conn:
            record = await repo.latest_game(conn, room_id)
            assert record is not None
            snapshot = await repo.latest_snapshot(conn, record.game_id)
            steps = await repo.actions_after(conn, record.game_id, 0)
            found = await rooms.get_room(conn, room_id=room_id)
        # The room moves to FINISHED only after the final snapshot was handed to the journal.
        finished = found is not None and found[0].state is RoomState.FINISHED
        if finished and snapshot is not None and snapshot.state["over"]:
            return record, snapshot, steps
        await asyncio.sleep(0.05)
    raise AssertionError("the finished match was not saved")


@pytest.mark.slow
async def test_five_bots_play_a_match_that_replays_exactly_from_its_log(
    server: Server, clients: list[Client]
) -> None:
    ids = [(await c.create_session(f"bot{i}")).session_id for i, c in enumerate(clients)]
    room = await clients[0].create_room("arena", "arena", config={"max_players": PLAYERS})
    for client in clients[1:]:
        await client.join(room.room_code)
    sockets = [await c.connect() for c in clients]
    await clients[0].start(room.room_code, options={"time_limit": 10, "kill_target": 3})
    seen: list[list[Event]] = [[] for _ in clients]
    finals = await asyncio.wait_for(
        asyncio.gather(
            *(
                play(sock, me, bot.choose, random.Random(i), seen=seen[i], realtime=True)
                for i, (sock, me) in enumerate(zip(sockets, ids, strict=True))
            )
        ),
        60,
    )
    result = finals[0].result
    assert all(f.result == result for f in finals)
    assert result["reason"] in ("kill_target", "time_limit")
    assert sum(result["kills"].values()) > 0  # the bots fought
    for frames in seen:
        views = [f for f in frames if isinstance(f, GameState)]
        assert all(v.ref is None for v in views)  # no view answered an input: they come 20 a second
        ticks = [v.state["t"] for v in views]
        assert ticks == sorted(ticks) and ticks[-1] - ticks[0] >= 30 * 3
        assert len(views) >= (ticks[-1] - ticks[0]) * 20 / 30 * 0.9

    record, snapshot, steps = await _stored(server, room.room_id)
    assert record.result == result
    inputs = [s for s in steps if s.kind == "action"]
    assert len(inputs) > 100 and all(s.ticks <= snapshot.ticks for s in inputs)  # logged with their tick

    machine, _ = GameMachine.setup(
        Arena(), seed=record.seed, players=record.players, options=record.options, dev=record.dev,
        now=record.started_at,
    )  # fmt: skip
    machine.replay(Step(s.kind, s.player, s.payload, s.at, s.ticks) for s in steps)
    while machine.result() is None:
        machine.tick()
    assert machine.ticks == snapshot.ticks and machine.step == snapshot.step
    assert json.loads(json.dumps(machine.state)) == snapshot.state
    assert machine.result() == result
    for me, final in zip(ids, finals, strict=True):
        assert final.state == Arena().view(machine.state, me)
