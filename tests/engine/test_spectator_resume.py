"""A spectator who drops out of a fast Cabo game for a moment comes back with a replay.

Each step's views are one frame in the resume buffer however many members see them (each member's own
view used to take a slot of its own: four players and a spectator filled a 24-frame buffer in about
five steps, and a spectator away for under a second fell "too far behind")."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from roomservice.bots import cabo
from roomservice.bots.play import play
from roomservice.client import Client, Event, GameState, RoomState, Socket
from roomservice.config import Settings
from tests.client.conftest import Gate
from tests.client.test_resume import cut
from tests.conftest import Server

#: Steps the game takes while the spectator is away: with one slot per member's view they would
#: need more than the buffer holds.
AWAY_STEPS = 6
BUFFER = 24
MEMBERS = 5


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.ws_rate_limit = 0  # bots move faster than people
    settings.resume_buffer = BUFFER
    return settings


class Permits:
    """Moves the bots may make: the test hands them out, so it knows how far the game went."""

    def __init__(self) -> None:
        self.left = 0
        self.waiting = 0
        self.changed = asyncio.Condition()

    async def take(self) -> None:
        async with self.changed:
            self.waiting += 1
            self.changed.notify_all()
            await self.changed.wait_for(lambda: self.left > 0)
            self.left -= 1
            self.waiting -= 1

    async def grant(self, n: int) -> None:
        """Let ``n`` more moves go, and return once they went and a bot waits to make the next."""
        async with self.changed:
            self.left += n
            self.changed.notify_all()
            await asyncio.wait_for(self.changed.wait_for(lambda: self.left == 0 and self.waiting > 0), 10)


class Paced:
    """A bot's socket whose moves each wait for a permit."""

    def __init__(self, socket: Socket, permits: Permits) -> None:
        self.socket = socket
        self.permits = permits

    async def next(self, timeout: float | None = None) -> Event:
        return await self.socket.next(timeout)

    async def action(self, payload: Any, ref: str | int | None = None) -> None:
        await self.permits.take()
        await self.socket.action(payload, ref)


@pytest.fixture
async def clients(server: Server) -> AsyncIterator[list[Client]]:
    made = [Client(server.http) for _ in range(MEMBERS)]
    yield made
    for client in made:
        await client.aclose()


async def test_a_spectator_away_for_a_moment_gets_a_replay(server: Server, clients: list[Client]) -> None:
    *players, watcher = clients
    for client, name in zip(clients, ["ann", "bob", "cat", "dan", "eve"], strict=True):
        await client.create_session(name)
    room = await players[0].create_room("fast", "cabo", config={"max_players": 4, "allow_spectators": True})
    for client in players[1:]:
        await client.join(room.room_code)
    await watcher.join(room.room_code, spectator=True)
    gate = Gate()
    spectator = await watcher.connect(sleep=gate)
    await spectator.wait_for(RoomState)
    sockets = [await c.connect() for c in players]
    permits = Permits()
    bots = [
        asyncio.create_task(
            play(cast(Socket, Paced(sock, permits)), c.session_id or "", cabo.choose, random.Random(i))
        )
        for i, (sock, c) in enumerate(zip(sockets, players, strict=True))
    ]
    try:
        await players[0].start(room.room_code, options={"peek_seconds": 30})
        runner = server.app.state.services.engine.runners[room.room_id]
        await permits.grant(8)  # the game is under way
        seen = await spectator.wait_for(GameState, lambda e: e.version == runner.machine.version)

        await cut(spectator)
        await asyncio.wait_for(gate.waiting.wait(), 5)
        away_from = runner.machine.step
        while runner.machine.step - away_from < AWAY_STEPS:
            await permits.grant(1)
        room_log = server.app.state.services.outbox.get(room.room_id)
        missed = room_log.seq - seen.seq
        # One slot per member's view would not have fitted; one per frame does.
        assert (runner.machine.step - away_from) * MEMBERS > BUFFER > missed
        gate.open()

        latest = runner.machine.version
        got: list[Event] = []
        while not got or not (isinstance(got[-1], GameState) and got[-1].version == latest):
            got.append(await spectator.next(timeout=10))
    finally:
        for bot in bots:
            bot.cancel()
        await asyncio.gather(*bots, return_exceptions=True)
    # A replay, not a fresh room_state: every view missed, in order, and nothing twice.
    assert not any(isinstance(e, RoomState) for e in got) and spectator.reconnects == 1
    versions = [e.version for e in got if isinstance(e, GameState)]
    assert versions == list(range(seen.version + 1, latest + 1))
    assert all(e.seq > seen.seq for e in got if isinstance(e, GameState))
