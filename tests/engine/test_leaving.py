"""A player who loses their seat mid-game, as the players see it over HTTP and the socket: the game
never waits for someone who cannot come back, the room finishes, the seat can be taken again and the
host can play again. A dropped socket alone forfeits nothing. The host can end a running game."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Server, User
from tests.realtime.wsclient import Sock


async def _table(
    server: Server,
    remote: Api,
    game: str = "tictactoe",
    names: tuple[str, ...] = ("alice", "bob"),
    **config: Any,
) -> tuple[list[User], str, list[Sock]]:
    users = [await remote.user(name) for name in names]
    code = (await users[0].create_room("t", game, config=config))["room_code"]
    for user in users[1:]:
        assert (await user.http.post(f"/api/rooms/{code}/join")).status_code == 200
    socks = [await Sock.open(server, user) for user in users]
    for sock in socks:
        await sock.expect("room_state")
    return users, code, socks


async def _finished(sock: Sock) -> None:
    while (await sock.expect("room_updated"))["room"]["state"] != "FINISHED":
        pass


async def test_kick_during_tictactoe_forfeits_instead_of_deadlocking(server: Server, remote: Api) -> None:
    (alice, bob), code, (a, b) = await _table(server, remote)
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    await a.expect("game_state", version=0)
    await a.send({"type": "action", "payload": {"cell": 4}})
    await b.expect("game_state", version=1)

    kicked = await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": bob.session_id})
    assert kicked.status_code == 200 and kicked.json()["room"]["state"] == "FINISHED"
    over = await a.expect("game_event", event="game_over")
    forfeit = {"player": bob.session_id, "reason": "kicked"}
    assert over["data"] == {"winner": alice.session_id, "line": None, "forfeit": forfeit}
    final = await a.expect("game_state", version=2)
    assert final["result"] == {"winners": [alice.session_id], "draw": False, "forfeit": forfeit}
    await _finished(a)
    await a.send({"type": "action", "payload": {"cell": 0}})
    assert (await a.expect("error"))["code"] == "game_over"

    # Before, bob got game_in_progress here and the host could neither start nor configure.
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (
        await alice.http.patch(f"/api/rooms/{code}/config", json={"allow_spectators": True})
    ).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    fresh = await b.expect("game_state", game_no=2)
    assert fresh["version"] == 0 and fresh["result"] is None and fresh["state"]["board"] == [None] * 9
    await a.expect("game_state", game_no=2)


async def test_leaving_during_tictactoe_forfeits(server: Server, remote: Api) -> None:
    (alice, bob), code, (a, _) = await _table(server, remote)
    await alice.http.post(f"/api/rooms/{code}/start")
    left = await bob.http.post(f"/api/rooms/{code}/leave")
    assert left.status_code == 200 and left.json()["room"]["state"] == "FINISHED"
    final = await a.expect("game_state", version=1)
    assert final["result"]["winners"] == [alice.session_id]
    assert final["result"]["forfeit"] == {"player": bob.session_id, "reason": "left"}


async def test_a_dropped_socket_forfeits_nothing_but_the_end_of_the_grace_does(
    server: Server, remote: Api
) -> None:
    (alice, bob), code, (a, b) = await _table(server, remote, reconnect_grace_seconds=60)
    await alice.http.post(f"/api/rooms/{code}/start")
    await b.expect("game_state", version=0)
    await b.close()
    await a.expect("player_disconnected", session_id=bob.session_id)
    await a.send({"type": "action", "payload": {"cell": 4}, "ref": 1})
    moved = await a.expect("game_state", ref=1)
    assert moved["result"] is None
    b = await Sock.open(server, bob)
    back = await b.expect("game_state")
    assert back["state"]["turn"] == bob.session_id and back["result"] is None

    # With no grace at all, the same drop costs the seat, and the game.
    (carol, dan), code2, (c, d) = await _table(
        server, remote, names=("carol", "dan"), reconnect_grace_seconds=0
    )
    await carol.http.post(f"/api/rooms/{code2}/start")
    await d.expect("game_state", version=0)
    await d.close()
    assert (await c.expect("player_left", session_id=dan.session_id))["reason"] == "disconnected"
    final = await c.expect("game_state", version=1)
    assert final["result"] == {
        "winners": [carol.session_id],
        "draw": False,
        "forfeit": {"player": dan.session_id, "reason": "disconnected"},
    }
    await _finished(c)


async def test_cabo_with_three_goes_on_without_the_one_who_left(server: Server, remote: Api) -> None:
    (ann, bob, cy), code, (a, b, c) = await _table(server, remote, "cabo", ("ann", "bob", "cy"))
    assert (
        await ann.http.post(f"/api/rooms/{code}/start", json={"options": {"peek_seconds": 60}})
    ).status_code == 200
    for sock in (a, b, c):
        await sock.send({"type": "action", "payload": {"move": "peek_initial", "cards": [0, 1]}})
    playing = await a.expect("game_state", version=3)
    starter = playing["state"]["turn"]
    order = playing["state"]["players"]
    leaver = order[(order.index(starter) + 1) % 3]
    users = {u.session_id: u for u in (ann, bob, cy)}
    socks = {ann.session_id: a, bob.session_id: b, cy.session_id: c}

    left = await users[leaver].http.post(f"/api/rooms/{code}/leave")
    assert left.status_code == 200 and left.json()["room"]["state"] == "IN_GAME"
    gone = await socks[starter].expect("game_event", event="player_gone")
    assert gone["data"] == {"player": leaver, "reason": "left"}
    mover = socks[starter]
    await mover.send({"type": "action", "payload": {"move": "cabo"}})
    after = await mover.expect("game_state", version=5)
    # The leaver's turn is skipped: the player after them plays.
    assert after["state"]["turn"] == order[(order.index(starter) + 2) % 3]
    assert after["state"]["gone"] == {leaver: "left"}


async def test_cabo_with_two_ends_when_one_is_kicked(server: Server, remote: Api) -> None:
    (ann, bob), code, (a, _) = await _table(server, remote, "cabo", ("ann", "bob"))
    await ann.http.post(f"/api/rooms/{code}/start")
    await a.expect("game_state", version=0)
    kicked = await ann.http.post(f"/api/rooms/{code}/kick", json={"session_id": bob.session_id})
    assert kicked.json()["room"]["state"] == "FINISHED"
    final = await a.expect("game_state", version=1)
    assert final["result"]["winners"] == [ann.session_id]
    assert final["result"]["forfeit"] == {"player": bob.session_id, "reason": "kicked"}
    assert final["state"]["phase"] == "game_over" and final["state"]["deadline"] is None


async def test_the_host_ends_a_running_game(server: Server, remote: Api) -> None:
    (alice, bob), code, (a, b) = await _table(server, remote)
    resp = await alice.http.post(f"/api/rooms/{code}/end")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "game_not_running"
    await alice.http.post(f"/api/rooms/{code}/start")
    await a.expect("game_state", version=0)
    resp = await bob.http.post(f"/api/rooms/{code}/end")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "not_host"

    ended = await alice.http.post(f"/api/rooms/{code}/end")
    assert ended.status_code == 200 and ended.json()["room"]["state"] == "FINISHED"
    for sock in (a, b):
        final = await sock.expect("game_state", version=1)
        assert final["result"] == {"winners": [], "abandoned": True}
        await _finished(sock)
    await b.send({"type": "action", "payload": {"cell": 4}})
    assert (await b.expect("error"))["code"] == "game_over"
    resp = await alice.http.post(f"/api/rooms/{code}/end")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "game_not_running"
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    assert (await b.expect("game_state", game_no=2))["result"] is None


async def test_a_spectator_after_the_end_is_told_not_a_player_first(server: Server, remote: Api) -> None:
    (alice, _bob), code, (a, _) = await _table(server, remote, allow_spectators=True)
    eve = await remote.user("eve")
    await eve.http.post(f"/api/rooms/{code}/join", json={"spectator": True})
    e = await Sock.open(server, eve)
    await e.expect("room_state")
    await alice.http.post(f"/api/rooms/{code}/start")
    await alice.http.post(f"/api/rooms/{code}/end")
    await e.expect("game_state", version=1)
    await e.send({"type": "action", "payload": "junk"})
    assert (await e.expect("error"))["code"] == "not_a_player"
    await a.send({"type": "action", "payload": "junk"})
    assert (await a.expect("error"))["code"] == "game_over"
