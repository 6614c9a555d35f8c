"""Flooding over a real socket: the bucket's clock is a schedule, so fake seconds pass without sleeping."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from roomservice.config import Settings
from roomservice.realtime.ratelimit import TokenBucket
from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock

RATE, BURST = 5.0, 10


class ScheduledClock:
    """Moves by the next step of a schedule each time it is read; the bucket reads it once per frame,
    whatever order the server gets round to the frames in."""

    def __init__(self, steps: Iterable[float]) -> None:
        self.now = 1000.0
        self.steps = iter(steps)

    def __call__(self) -> float:
        self.now += next(self.steps, 0.0)
        return self.now


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.ws_rate_limit = RATE
    settings.ws_rate_burst = BURST
    settings.ws_abuse_limit = 50  # never reached here: at 10x the rate one frame in ten passes
    return settings


async def _socket(server: Server, remote: Api, steps: list[float]) -> Sock:
    user = await remote.user("flood")
    sock = await Sock.open(server, user)
    await sock.send({"type": "ping", "ref": "hello"})
    await sock.expect("pong", ref="hello")
    conn = server.app.state.services.hub.connections[user.session_id]
    conn.bucket = TokenBucket(RATE, BURST, ScheduledClock([0.0, *steps]))
    return sock


async def test_ten_times_the_rate_for_over_two_seconds_closes_1008(server: Server, remote: Api) -> None:
    frames = int(2.5 * 10 * RATE)
    sock = await _socket(server, remote, [1 / (10 * RATE)] * frames)
    for n in range(frames):
        await sock.send({"type": "ping", "ref": n})
    assert await sock.closed() == 1008
    assert any(f["type"] == "pong" for f in sock.seen[1:])  # some frames still passed on the way


async def test_below_twice_the_rate_stays_open(server: Server, remote: Api) -> None:
    frames = int(5 * 1.9 * RATE)
    # Five seconds at 1.9x the rate, then a pause long enough to refill the bucket, then a ping.
    sock = await _socket(server, remote, [1 / (1.9 * RATE)] * frames + [60.0])
    for n in range(frames):
        await sock.send({"type": "ping", "ref": n})
    await sock.send({"type": "ping", "ref": "still there?"})
    await sock.expect("pong", ref="still there?")
    assert {f.get("code") for f in sock.seen if f["type"] == "error"} == {"rate_limited"}


async def test_a_burst_is_answered_in_full(server: Server, remote: Api) -> None:
    sock = await _socket(server, remote, [0.0] * BURST)
    for n in range(BURST):
        await sock.send({"type": "ping", "ref": n})
    for n in range(BURST):
        await sock.expect("pong", ref=n)
    assert not any(f["type"] == "error" for f in sock.seen)
