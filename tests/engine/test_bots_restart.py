"""A game against a bot survives a SIGKILL: the bot, whose turn it was, moves on its own once the
server is back and the person plays on to the end."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roomservice.bots import tictactoe
from roomservice.client import Client, GameState
from tests.engine.test_restart import Process

pytestmark = pytest.mark.slow


@pytest.fixture
async def process(database_url: str, tmp_path: Path) -> AsyncIterator[Process]:
    proc = Process(database_url, tmp_path)
    await proc.start()
    yield proc
    proc.stop()


async def test_sigkill_with_a_bot_to_move_carries_on(process: Process) -> None:
    async with Client(process.url) as alice:
        me = (await alice.create_session("alice")).session_id
        room = await alice.create_room("solo", "tictactoe", config={"bots": 1})
        bot = next(p.session_id for p in room.players if p.bot)
        sock = await alice.connect()
        await alice.start(room.room_code)
        first = await sock.wait_for(GameState, timeout=10)
        assert first.state["turn"] == me
        await sock.action({"cell": 4}, ref="first")
        mine = await sock.wait_for(GameState, lambda e: e.ref == "first", timeout=10)
        assert mine.state["turn"] == bot
        # The bot is still thinking (0.8 s) when the server dies.
        process.kill()
        await process.start()

        view = await sock.wait_for(GameState, lambda e: e.version > mine.version, timeout=20)
        assert view.state["board"][4] == mine.state["board"][4]
        assert view.state["board"].count(None) == 7  # the bot moved, on its own, after the restart
        rng = random.Random(3)
        while view.result is None:
            if view.state["turn"] == me:
                await sock.action(tictactoe.choose(view.state, me, rng), ref=view.version)
            view = await sock.wait_for(GameState, lambda e, v=view.version: e.version > v, timeout=10)
        assert view.result is not None
        after = await alice.room(room.room_code)
        assert [(p.session_id, p.bot) for p in after.players] == [(me, False), (bot, True)]
        await sock.close()
