"""A whole tic-tac-toe game through a real server: start, views, refused moves, the result, play again."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Server, User
from tests.realtime.wsclient import Sock


async def _table(server: Server, remote: Api) -> tuple[User, User, str, Sock, Sock]:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("t", "tictactoe", config={"allow_spectators": True}))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    return alice, bob, code, a, b


async def _move(sock: Sock, cell: int) -> None:
    await sock.send({"type": "action", "payload": {"cell": cell}, "ref": cell})


async def test_a_game_to_the_end_and_play_again(server: Server, remote: Api) -> None:
    alice, bob, code, a, b = await _table(server, remote)
    resp = await alice.http.post(f"/api/rooms/{code}/start")
    assert resp.status_code == 200 and resp.json()["room"]["state"] == "IN_GAME"
    first = await a.expect("game_state")
    assert first["game"] == "tictactoe" and first["game_no"] == 1 and first["version"] == 0
    assert first["state"]["turn"] == alice.session_id and first["result"] is None
    await b.expect("game_state", version=0)

    # Out of turn: only bob hears about it, and nothing changes.
    await _move(b, 0)
    refused = await b.expect("error")
    assert refused["code"] == "not_your_turn" and refused["ref"] == 0

    # X takes the top row.
    for version, (sock, cell) in enumerate(((a, 0), (b, 3), (a, 1), (b, 4), (a, 2)), start=1):
        await _move(sock, cell)
        await a.expect("game_state", version=version)
    final: dict[str, Any] = await b.expect("game_state", version=5)
    assert final["result"] == {"winners": [alice.session_id], "draw": False}
    assert final["state"]["board"][:3] == ["X", "X", "X"]
    finished = await a.expect("room_updated")
    while finished["room"]["state"] != "FINISHED":
        finished = await a.expect("room_updated")
    moved = [f for f in a.seen if f["type"] == "game_event" and f["event"] == "moved"]
    assert [e["data"]["cell"] for e in moved] == [0, 3, 1, 4, 2]
    assert not [f for f in a.seen if f["type"] == "error"]  # bob's refusal went to bob only

    await _move(b, 5)
    assert (await b.expect("error"))["code"] == "game_over"

    # Only the host starts the next game; its number goes up.
    assert (await bob.http.post(f"/api/rooms/{code}/start")).json()["error"]["code"] == "not_host"
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    again = await b.expect("game_state", game_no=2)
    assert again["version"] == 0 and again["state"]["board"] == [None] * 9


async def test_actions_before_a_game_and_from_spectators(server: Server, remote: Api) -> None:
    alice, bob, code, a, b = await _table(server, remote)
    await _move(a, 4)
    assert (await a.expect("error"))["code"] == "game_not_started"

    carol = await remote.user("carol")
    resp = await carol.http.post(f"/api/rooms/{code}/join", json={"spectator": True})
    assert resp.status_code == 200
    c = await Sock.open(server, carol)
    await c.expect("room_state")
    await alice.http.post(f"/api/rooms/{code}/start")
    view = await c.expect("game_state")
    assert view["state"]["turn"] == alice.session_id
    await c.send({"type": "action", "payload": {"cell": 4}})
    assert (await c.expect("error"))["code"] == "not_a_player"

    # A socket that comes back mid-game gets the room, then the game as it stands.
    await _move(a, 4)
    await b.expect("game_state", version=1)
    await b.close()
    b2 = await Sock.open(server, bob)
    await b2.expect("room_state")
    again = await b2.expect("game_state")
    assert again["version"] == 1 and again["state"]["board"][4] == "X"


async def test_bad_options_are_refused_and_the_room_stays_waiting(server: Server, remote: Api) -> None:
    alice, _bob, code, _a, _b = await _table(server, remote)
    resp = await alice.http.post(f"/api/rooms/{code}/start", json={"options": {"board": 4}})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_options"
    resp = await alice.http.post(f"/api/rooms/{code}/start", json={"options": [1]})
    assert resp.status_code == 422
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["room"]["state"] == "WAITING"


async def test_a_fixed_deck_needs_dev_mode(server: Server, remote: Api) -> None:
    carol, dave = await remote.user("carol"), await remote.user("dave")
    code = (await carol.create_room("c", "cabo"))["room_code"]
    await dave.http.post(f"/api/rooms/{code}/join")
    deck = [0, 0, 13, 13] + [rank for rank in range(1, 13) for _ in range(4)]
    resp = await carol.http.post(f"/api/rooms/{code}/start", json={"options": {"deck": deck}})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "dev_only"
