"""The socket's timers on a server whose time moves only when the test says so: a dropped member's
grace period and a returning socket's resume window."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.realtime.presence import RESUME_WINDOW
from tests.conftest import Api, Server
from tests.fakes import ManualScheduler
from tests.realtime.wsclient import Sock

pytestmark = pytest.mark.manual_time


async def quiet(sock: Sock) -> list[str]:
    """Frame types that reached ``sock`` up to the pong of a ping sent now."""
    start = len(sock.seen)
    await sock.send({"type": "ping", "ref": "q"})
    await sock.expect("pong", ref="q")
    return [f["type"] for f in sock.seen[start:-1]]


async def dropped(scheduler: ManualScheduler, watcher: Sock, sock: Sock, session_id: str) -> None:
    """Cut ``sock`` and return once its grace timer is set."""
    timers = len(scheduler.pending())
    await sock.ws.close()
    await watcher.expect("player_disconnected", session_id=session_id)
    await asyncio.wait_for(scheduler.wait_pending(timers + 1), 5)


async def test_the_seat_is_kept_for_exactly_the_grace_period(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo", config={"reconnect_grace_seconds": 30}))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    await dropped(scheduler, a, b, bob.session_id)
    await scheduler.advance(29)
    assert "player_left" not in await quiet(a)
    room = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert [p["username"] for p in room["players"]] == ["alice", "bob"]
    await scheduler.advance(1)
    left = await a.expect("player_left", session_id=bob.session_id)
    assert left["reason"] == "disconnected"
    room = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert [p["username"] for p in room["players"]] == ["alice"]


async def test_a_back_within_grace_keeps_the_seat_after_it(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo", config={"reconnect_grace_seconds": 30}))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    await dropped(scheduler, a, b, bob.session_id)
    await scheduler.advance(20)
    b = await Sock.open(server, bob)
    await b.expect("room_state")
    await a.expect("player_reconnected", session_id=bob.session_id)
    await scheduler.advance(60)
    assert "player_left" not in await quiet(a)


async def test_held_frames_flow_when_the_resume_window_runs_out(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    await b.close()
    await a.expect("player_disconnected")
    b = await Sock.open(server, bob)  # returning: live frames wait for a resume that never comes
    await b.expect("room_state")
    await a.send({"type": "chat", "text": "still there?"})
    await a.expect("chat")
    await scheduler.advance(RESUME_WINDOW / 2)
    held = server.app.state.services.hub.presence.connections[bob.session_id].held
    assert held is not None and len(held) == 2  # player_reconnected and the chat, both still held
    await scheduler.advance(RESUME_WINDOW / 2)
    assert (await b.expect("chat"))["text"] == "still there?"
