"""The arena through a real server: views 20 times a second and no frame per accepted input, and no
cheat gains anything — a speed-hacked, rapid-fire client moves no faster and fires no more often than
the rules allow."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

import roomservice.games.arena.world as world
from tests.conftest import Api, Server, User
from tests.realtime.wsclient import Sock

CAP = world.SPEED / world.TICK_RATE  # units a tick


async def _match(server: Server, remote: Api) -> tuple[list[User], list[Sock]]:
    users = [await remote.user(name) for name in ("ann", "bob", "cat")]
    code = (await users[0].create_room("arena", "arena"))["room_code"]
    for user in users[1:]:
        assert (await user.http.post(f"/api/rooms/{code}/join")).status_code == 200
    socks = [await Sock.open(server, user) for user in users]
    for sock in socks:
        await sock.expect("room_state")
    resp = await users[0].http.post(f"/api/rooms/{code}/start", json={"options": {"time_limit": 60}})
    assert resp.status_code == 200
    return users, socks


async def test_a_speed_hacked_rapid_fire_client_gains_nothing(server: Server, remote: Api) -> None:
    (ann, _, _), (cheat, *_) = await _match(server, remote)
    seq = 0
    views: list[dict[str, Any]] = []
    while not views or views[-1]["t"] - views[0]["t"] < 3 * world.TICK_RATE:
        frame = await cheat.next()
        if frame["type"] != "game_state":
            continue
        assert "ref" not in frame  # no view answers an input
        views.append(frame["state"])
        # Two inputs per view (40 a second, more than one per tick), each 50 times too long, trigger held.
        for _ in range(2):
            seq += 1
            move = {"seq": seq, "tick": frame["state"]["t"], "move": [50.0, 0.0], "aim": 0.0, "fire": True}
            await cheat.send({"type": "action", "payload": move, "ref": seq})

    mine = [next(p for p in v["p"] if p[0] == ann.session_id) for v in views]
    for (before, a), (after, b) in itertools.pairwise(zip(views, mine, strict=True)):
        ticks = after["t"] - before["t"]
        assert math.hypot(b[1] - a[1], b[2] - a[2]) <= ticks * CAP + 1e-6
    assert mine[-1][1] - mine[0][1] >= 0.9 * CAP * (views[-1]["t"] - views[0]["t"])  # clamped, not refused

    first_seen: dict[int, int] = {}
    for view in views:
        for shot in view["s"]:
            if shot[1] == 0:
                first_seen.setdefault(shot[0], view["t"])
    fired = sorted(first_seen.values())
    assert len(fired) >= 5
    # A shot shows in the first view after its tick (views skip every third tick): 8 ticks apart, less one.
    assert all(b - a >= world.COOLDOWN_TICKS - 1 for a, b in itertools.pairwise(fired))
    assert len(fired) <= (views[-1]["t"] - views[0]["t"]) / world.COOLDOWN_TICKS + 1

    errors = [f for f in cheat.seen if f["type"] == "error"]
    assert {e["code"] for e in errors} <= {"input_queue_full", "rate_limited"}
    assert any(e["code"] == "input_queue_full" for e in errors)  # inputs beyond one a tick only queue
    assert views[-1]["ack"] < seq


@pytest.mark.slow
async def test_views_come_twenty_a_second_and_only_refusals_are_answered(server: Server, remote: Api) -> None:
    (_, _, _), (ann, bob, _) = await _match(server, remote)
    first = await ann.expect("game_state")
    base = first["state"]["t"]
    good = {"seq": 5, "tick": base, "move": [1, 0], "aim": 0, "fire": False}
    await ann.send({"type": "action", "payload": good, "ref": "good"})
    await ann.send({"type": "action", "payload": {**good, "seq": 4}, "ref": "stale"})
    await ann.send({"type": "action", "payload": {**good, "seq": "6"}, "ref": "bad"})
    refused = await ann.expect("error", ref="bad")
    assert refused["code"] == "invalid_input"
    count = 0
    while True:
        frame = await ann.next()
        if frame["type"] == "game_state":
            count += 1
            if frame["state"]["t"] - base >= 3 * world.TICK_RATE:
                break
    assert count >= 3 * world.VIEW_RATE * 0.9
    assert frame["state"]["ack"] == 5
    assert not [f for f in ann.seen if f.get("ref") in ("good", "stale")]
    assert not [f for f in bob.seen if f["type"] == "error"]
