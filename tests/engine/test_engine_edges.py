"""The engine's edges: a bug in a game, presence told to the game, turn timers, and ticks."""

from __future__ import annotations

import pytest

from roomservice.config import Settings
from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.games = "tests.engine.games:Flaky,tests.engine.games:Pulse"
    return settings


async def test_a_bug_in_a_game_is_refused_and_the_room_lives_on(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    code = (await alice.create_room("f", "flaky"))["room_code"]
    a = await Sock.open(server, alice)
    await a.expect("room_state")
    await alice.http.post(f"/api/rooms/{code}/start")
    await a.expect("game_state", version=0)
    await a.send({"type": "action", "payload": "boom", "ref": "b"})
    assert await a.expect("error") == {
        "type": "error",
        "code": "internal",
        "message": "The game failed on that action; nothing changed.",
        "ref": "b",
    }
    await a.send({"type": "action", "payload": "nope"})
    assert (await a.expect("error"))["code"] == "bad_move"
    await a.send({"type": "action", "payload": "add", "ref": 1})
    state = await a.expect("game_state", version=1)
    assert state["state"]["count"] == 1 and state["ref"] == 1


async def test_the_game_hears_when_a_player_drops_and_returns(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("f", "flaky"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await alice.http.post(f"/api/rooms/{code}/start")
    await b.expect("game_state")
    await b.close()
    away = await a.expect("game_state", version=1)
    assert away["state"]["away"] == [bob.session_id]
    b = await Sock.open(server, bob)
    back = await a.expect("game_state", version=2)
    assert back["state"] == {"count": 0, "away": [], "back": 1}


async def test_a_late_cabo_turn_is_played_by_the_timer(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("c", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a = await Sock.open(server, alice)
    await a.expect("room_state")
    options = {"peek_seconds": 0.2, "turn_timer": 0.3}
    assert (await alice.http.post(f"/api/rooms/{code}/start", json={"options": options})).status_code == 200
    # Nobody moves: the peek window closes by itself, then each late turn is auto-played.
    first = await a.expect("game_event", event="turn")
    timed_out = await a.expect("game_event", event="timed_out")
    assert timed_out["data"]["players"] == [first["data"]["player"]]
    nxt = await a.expect("game_event", event="turn")
    assert nxt["data"]["player"] != first["data"]["player"]


async def test_a_real_time_game_ticks_to_its_end(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    code = (await alice.create_room("p", "pulse"))["room_code"]
    a = await Sock.open(server, alice)
    await a.expect("room_state")
    await alice.http.post(f"/api/rooms/{code}/start")
    final = await a.expect("game_state", timeout=10, result={"ticks": 45})
    assert final["state"]["ticks"] == 45 and final["state"]["time"] == pytest.approx(1.5)
    views = [f for f in a.seen if f["type"] == "game_state"]
    # 10 views a second of 30 ticks: every third tick, plus the first and the last.
    assert [v["state"]["ticks"] for v in views] == [0, *range(3, 46, 3)]
    finished = await a.expect("room_updated")
    assert finished["room"]["state"] == "FINISHED"
