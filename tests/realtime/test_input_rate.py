"""A real-time game's input rate on the socket: a room whose running game declares one raises its
sockets' allowance by that rate, and the flood rule (twice the rate for two seconds) follows it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roomservice.config import Settings
from roomservice.realtime.ratelimit import TokenBucket
from tests.fakes import ManualScheduler
from tests.realtime.test_flood import ScheduledClock
from tests.realtime.test_hub_parts import Node, Peer

RATE, BURST = 5.0, 10
#: What the arena declares: one input per tick.
INPUTS = 30.0


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    scheduler = ManualScheduler()
    settings = Settings(
        data_dir=tmp_path,
        secret_key="test-secret",
        ws_rate_limit=RATE,
        ws_rate_burst=BURST,
        ws_abuse_limit=10_000,
    )
    made = Node(settings, scheduler)
    yield made
    await made.presence.close()
    await made.outbox.close()
    await made.broker.close()
    await scheduler.close()


async def _player(node: Node, steps: list[float]) -> Peer:
    _, (ann, _bob) = node.seat("ann", "bob")
    peer = await node.connect(ann)
    await peer.expect("room_state")
    peer.conn.bucket = TokenBucket(RATE, BURST, ScheduledClock([0.0, *steps]))
    return peer


async def _send(node: Node, peer: Peer, frames: int, chat_every: int = 0) -> list[str]:
    """Send ``frames`` actions (a chat line in place of every ``chat_every``-th): the error codes back."""
    for n in range(frames):
        if chat_every and n % chat_every == 0:
            await node.say(peer, {"type": "chat", "text": f"line {n}"})
        else:
            await node.say(peer, {"type": "action", "payload": {"seq": n}, "ref": n})
        await asyncio.sleep(0)  # the socket writes what it queued once per loop pass
        if peer.closed_with is not None:
            break
    for _ in range(5):
        await asyncio.sleep(0)
    peer.pending()
    return [f["code"] for f in peer.seen if f["type"] == "error"]


async def test_the_games_input_rate_and_chat_are_admitted(node: Node) -> None:
    node.desk.rate = INPUTS
    # Five seconds of 30 inputs a second plus a chat line a second: 31 frames a second.
    per_second = INPUTS + 1
    peer = await _player(node, [1 / per_second] * int(5 * per_second))
    codes = await _send(node, peer, int(5 * per_second), chat_every=int(per_second))
    assert peer.closed_with is None
    assert "rate_limited" not in codes
    assert codes.count("game_not_started") == int(5 * per_second) - 5  # every action got through


async def test_without_a_declared_rate_the_same_inputs_are_refused_then_closed(node: Node) -> None:
    per_second = INPUTS + 1
    peer = await _player(node, [1 / per_second] * int(5 * per_second))
    codes = await _send(node, peer, int(5 * per_second), chat_every=int(per_second))
    assert "rate_limited" in codes
    assert peer.closed_with is not None and peer.closed_with[0] == 1008


async def test_the_flood_rule_follows_the_raised_rate(node: Node) -> None:
    node.desk.rate = INPUTS
    flood = 2 * (RATE + INPUTS)  # twice the raised allowance
    peer = await _player(node, [1 / (1.5 * flood)] * int(6 * 1.5 * flood))
    await _send(node, peer, int(6 * 1.5 * flood))
    assert peer.closed_with is not None and peer.closed_with[0] == 1008


async def test_below_twice_the_raised_rate_stays_open(node: Node) -> None:
    node.desk.rate = INPUTS
    near = 1.9 * (RATE + INPUTS)  # far above the plain allowance, below the flood rate
    peer = await _player(node, [1 / near] * int(4 * near))
    codes = await _send(node, peer, int(4 * near))
    assert peer.closed_with is None
    assert "rate_limited" in codes  # above the allowance: refused, not closed
