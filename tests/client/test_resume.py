"""Auto-reconnect and resume: a connection cut mid-stream loses and repeats nothing."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.client import Chat, Event, RoomState, Socket
from roomservice.config import Settings
from tests.client.conftest import Clients, Gate


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.ws_rate_limit = 0  # the chatter below types faster than people do
    return settings


async def cut(socket: Socket) -> None:
    """Drop the connection the way a network does: no close frame, the TCP connection just ends."""
    ws = socket._ws
    assert ws is not None
    ws.transport.abort()
    await ws.wait_closed()


async def test_cuts_mid_stream_lose_and_repeat_no_chat(clients: Clients) -> None:
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("r", "cabo")
    await bob.join(room.room_code)
    talker = await alice.connect()
    gate = Gate(opened=True)  # reconnects at once
    listener = await bob.connect(sleep=gate)
    await listener.wait_for(RoomState)
    total, cut_after = 200, {20, 60, 61, 62, 110, 170}
    cuts = 0

    async def talk() -> None:
        nonlocal cuts
        for i in range(total):
            await talker.chat(f"m{i}")
            if i in cut_after:
                await listener.wait_connected(timeout=5)
                gate.waiting.clear()
                await cut(listener)  # frames in flight to Bob are lost with the connection
                await asyncio.wait_for(gate.waiting.wait(), 5)  # it saw the drop
                cuts += 1
            if i % 5 == 0:
                await asyncio.sleep(0)

    talking = asyncio.create_task(talk())
    received: list[str] = []
    seqs: list[int] = []
    others: list[Event] = []
    try:
        while len(received) < total:
            event = await listener.next(timeout=10)
            if isinstance(event, Chat):
                received.append(event.text)
                seqs.append(event.seq)
            else:
                others.append(event)
    finally:
        await talking
    assert received == [f"m{i}" for i in range(total)]
    assert seqs == sorted(set(seqs))
    await listener.wait_connected(timeout=5)
    assert cuts >= 3 and listener.reconnects == cuts
    # The snapshot sent on each reconnect is not repeated in the stream: the replay covered it.
    assert not any(isinstance(e, RoomState) for e in others)
    await talker.chat("last")
    assert (await listener.wait_for(Chat)).text == "last"  # nothing arrives twice before it


async def test_frames_sent_while_reconnecting_go_out_after_the_resume(clients: Clients) -> None:
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("r", "cabo")
    await bob.join(room.room_code)
    a = await alice.connect()
    b = await bob.connect()
    await a.wait_for(RoomState)
    await b.wait_for(RoomState)
    await cut(b)
    await b.chat("sent during the outage")  # waits for the new connection
    assert b.reconnects == 1
    line = await a.wait_for(Chat)
    assert (line.sender, line.text) == ("bob", "sent during the outage")
    assert (await b.wait_for(Chat)).text == "sent during the outage"


async def test_too_far_behind_gets_a_fresh_room_state(clients: Clients, server_settings: Settings) -> None:
    server_settings.resume_buffer = 5
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("r", "cabo")
    await bob.join(room.room_code)
    a = await alice.connect()
    gate = Gate()
    b = await bob.connect(sleep=gate)  # stays away until the gate opens
    await b.wait_for(RoomState)
    await a.chat("before")
    before = await b.wait_for(Chat)
    await cut(b)
    await asyncio.wait_for(gate.waiting.wait(), 5)
    for i in range(20):
        await a.chat(f"away {i}")
    await a.wait_for(Chat, lambda e: e.text == "away 19")
    gate.open()  # well behind by now
    fresh = await b.wait_for(RoomState, timeout=10)
    assert fresh.seq > before.seq and b.reconnects == 1
    assert [c.text for c in fresh.chat][-2:] == ["away 18", "away 19"]
    await a.chat("after")
    assert (await b.wait_for(Chat)).text == "after"  # nothing older comes after the new state
