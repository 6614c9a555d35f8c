"""What ``/metrics`` counts of sockets and games, on both transports: every frame a client got and
sent, actions by outcome, fan-out and journal timings, tick lateness of a real-time game."""

from __future__ import annotations

import asyncio

import httpx

from roomservice.stats import Stats
from tests.conftest import Api, Server
from tests.realtime.test_hub_parts import Node, node
from tests.realtime.wsclient import Sock
from tests.web.test_metrics import Samples, parse, value

__all__ = ["node"]  # the fixture, shared with the hub's own tests


async def _scrape(server: Server) -> Samples:
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


async def _settle(*socks: Sock) -> None:
    """A ping answered on each socket: everything written to it before has been read."""
    for sock in socks:
        await sock.send({"type": "ping"})
        await sock.expect("pong")


async def test_frames_actions_and_timings_are_counted(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("t", "tictactoe"))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    assert value(await _scrape(server), "roomservice_sockets_open") == 2
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    await b.send({"type": "action", "payload": {"cell": 0}, "ref": 1})  # not bob's turn
    assert (await b.expect("error"))["code"] == "not_your_turn"
    await a.send({"type": "action", "payload": {"cell": 4}, "ref": 2})
    await a.expect("game_state", version=1)
    await b.send({"type": "action", "payload": {"cell": "x"}, "ref": 3})
    assert (await b.expect("error"))["code"] == "invalid_action"
    await _settle(a, b)

    samples = await _scrape(server)
    # Every frame the two clients read, and every frame they sent (3 actions, 2 pings).
    assert value(samples, "roomservice_frames_total", direction="out") == len(a.seen) + len(b.seen)
    assert value(samples, "roomservice_frames_total", direction="in") == 5
    assert (value(samples, "roomservice_frame_bytes_total", direction="out") or 0) > 100 * len(a.seen)
    assert (value(samples, "roomservice_frame_bytes_total", direction="in") or 0) > 5 * 20
    assert value(samples, "roomservice_actions_total", game="tictactoe", code="accepted") == 1
    assert value(samples, "roomservice_actions_total", game="tictactoe", code="not_your_turn") == 1
    assert value(samples, "roomservice_actions_total", game="tictactoe", code="invalid_action") == 1
    assert value(samples, "roomservice_fanout_seconds_count") is not None  # one frame in 16 is timed
    assert value(samples, "roomservice_journal_commit_seconds_count") == 1
    assert value(samples, "roomservice_journal_batch_entries_sum") == 1
    assert value(samples, "roomservice_sessions_online") == 2

    await a.close()
    await b.close()
    for _ in range(100):
        if value(await _scrape(server), "roomservice_sockets_open") == 0:
            break
        await asyncio.sleep(0.02)
    assert value(await _scrape(server), "roomservice_sockets_open") == 0


async def test_the_ticks_of_a_real_time_game_are_timed(server: Server, remote: Api) -> None:
    ann = await remote.user("ann")
    code = (await ann.create_room("arena", "arena", config={"bots": 2}))["room_code"]
    resp = await ann.http.post(f"/api/rooms/{code}/start", json={"options": {"time_limit": 60}})
    assert resp.status_code == 200, resp.text
    ticks = 0.0
    for _ in range(100):
        ticks = value(await _scrape(server), "roomservice_tick_lateness_seconds_count", game="arena") or 0
        if ticks >= 5:
            break
        await asyncio.sleep(0.05)
    assert ticks >= 5
    samples = await _scrape(server)
    count = value(samples, "roomservice_tick_lateness_seconds_count", game="arena")
    assert value(samples, "roomservice_tick_lateness_seconds_bucket", game="arena", le="+Inf") == count


async def test_one_fan_out_in_sixteen_is_timed(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    stats = node.outbox.stats = Stats()
    for i in range(64):
        await node.say(a, {"type": "chat", "text": f"m{i}"})
    await b.expect("chat", text="m63")
    assert stats.fanout.count == 4 and sum(stats.fanout.buckets) == 4 and stats.fanout.sum > 0
