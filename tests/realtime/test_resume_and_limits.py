"""Resume after cuts at random points, rate limits, frame size and a client too slow to keep up."""

from __future__ import annotations

import asyncio
import random

import pytest

from roomservice.config import Settings
from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.ws_rate_limit = 0  # the tests below send faster than people do
    settings.resume_buffer = 10_000
    return settings


async def test_resume_after_random_cuts_loses_and_repeats_nothing(server: Server, remote: Api) -> None:
    rng = random.Random(7)
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a = await Sock.open(server, alice)
    await a.expect("room_state")
    drain = asyncio.create_task(a.closed(timeout=60))  # Alice reads her echoes, as clients do
    b = await Sock.open(server, bob)
    last_seq = (await b.expect("room_state"))["seq"]
    total = 300
    received: list[str] = []
    sent = 0

    async def talk(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            await a.send({"type": "chat", "text": f"m{sent}"})
            sent += 1

    while sent < total:
        await talk(rng.randint(1, 25))
        # Read some (not all) of what has arrived, then cut the connection mid-stream. The pong of
        # a ping sent now marks the end of what has arrived, instead of a wait for more.
        await b.send({"type": "ping", "ref": "sync"})
        for _ in range(rng.randint(0, 10)):
            frame = await b.next()
            if frame["type"] == "pong":
                break
            if "seq" in frame and frame["type"] != "room_state":
                last_seq = frame["seq"]
                if frame["type"] == "chat":
                    received.append(frame["text"])
        await b.ws.close()
        await talk(rng.randint(0, 10))  # things happen while Bob is away
        b = await Sock.open(server, bob)
        state = await b.expect("room_state")
        await b.send({"type": "resume", "room_code": code.lower(), "last_seq": last_seq})
        assert state["seq"] >= last_seq
    # Drain the rest.
    while len(received) < total:
        try:
            frame = await b.next(timeout=3)
        except TimeoutError:
            missing = sorted({f"m{i}" for i in range(total)} - set(received))
            raise AssertionError(f"never arrived: {missing[:20]}") from None
        if frame["type"] == "chat":
            assert frame["seq"] > last_seq
            last_seq = frame["seq"]
            received.append(frame["text"])
    assert received == [f"m{i}" for i in range(total)]
    drain.cancel()


async def test_too_far_behind_gets_a_fresh_room_state(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    a = await Sock.open(server, alice)
    seq = (await a.expect("room_state"))["seq"]
    await a.send({"type": "resume", "room_code": code, "last_seq": seq - 100_000})
    assert (await a.expect("room_state"))["room"]["room_code"] == code


@pytest.mark.manual_time  # the resume window never runs out by itself: only the refusal can end it
async def test_a_refused_resume_lets_held_frames_flow_at_once(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    await b.close()
    await a.expect("player_disconnected")
    b = await Sock.open(server, bob)  # returning: live frames wait for its resume
    await b.expect("room_state")
    await b.send({"type": "resume", "room_code": "NOPE00", "last_seq": 1, "ref": "r"})
    await a.send({"type": "chat", "text": "still there?"})
    # Without the 2-second hold running out: the held frames, the refusal and the live chat.
    await b.expect("chat", timeout=1.0)
    kinds = [f["type"] for f in b.seen]
    assert kinds[-3:] == ["player_reconnected", "error", "chat"]


@pytest.fixture
def limited_settings(server_settings: Settings) -> Settings:
    server_settings.ws_rate_limit = 5
    server_settings.ws_rate_burst = 10
    server_settings.ws_abuse_limit = 50
    return server_settings


async def test_rate_limit_then_close_1008(limited_settings: Settings, server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    a = await Sock.open(server, alice)
    for _ in range(12):
        await a.send({"type": "ping"})
    assert (await a.expect("error"))["code"] == "rate_limited"
    for _ in range(100):
        await a.send({"type": "ping"})
    assert await a.closed() == 1008


async def test_frame_too_big_closes_1009(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    a = await Sock.open(server, alice)
    await a.send({"type": "chat", "text": "x" * (65 * 1024)})
    assert await a.closed() == 1009


@pytest.fixture
def small_outbox(server_settings: Settings) -> Settings:
    server_settings.ws_send_queue = 64
    return server_settings


@pytest.mark.slow  # 4,000 frames to fill a socket's buffers: about 10 s a run (make test-slow)
async def test_a_slow_client_is_dropped_and_others_carry_on(
    small_outbox: Settings, server: Server, remote: Api
) -> None:
    users = [await remote.user(n) for n in ("talker", "listener", "sleeper")]
    code = (await users[0].create_room("r", "cabo"))["room_code"]
    for u in users[1:]:
        await u.http.post(f"/api/rooms/{code}/join")
    talker, listener = await Sock.open(server, users[0]), await Sock.open(server, users[1])
    # The sleeper never reads, with a tiny receive window.
    sleeper = await Sock.open(server, users[2], max_queue=1)
    for s in (talker, listener):
        await s.expect("room_state")
    talker_frames: list[dict[str, object]] = []
    sleeper_dropped = asyncio.Event()

    async def talker_reads() -> None:
        while True:
            frame = await talker.next(timeout=30)
            talker_frames.append(frame)
            if frame["type"] == "player_disconnected":
                sleeper_dropped.set()

    talker_reader = asyncio.create_task(talker_reads())
    text = "z" * 500
    count = 4000

    async def read_all() -> int:
        got = 0
        while got < count:
            frame = await listener.next(timeout=10)
            if frame["type"] == "chat":
                got += 1
        return got

    reader = asyncio.create_task(read_all())
    for i in range(count):
        await talker.send({"type": "chat", "text": text})
        if i % 10 == 0:
            await asyncio.sleep(0)
    assert await reader == count
    await asyncio.wait_for(sleeper_dropped.wait(), 10)
    gone = [f for f in talker_frames if f["type"] == "player_disconnected"]
    assert [f["session_id"] for f in gone] == [users[2].session_id]
    talker_reader.cancel()
    await sleeper.close()
