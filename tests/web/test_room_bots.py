"""Bot seats over HTTP, on SQLite and PostgreSQL: ``config.bots`` seats and unseats bots, who show as
``bot: true`` members, never host, and never keep a room alive."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.web.test_rooms import error


def _bots(room: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in room["players"] if p["bot"]]


async def test_bots_fill_seats_at_create_and_by_patch(api: Api) -> None:
    alice = await api.user("alice")
    body = await alice.create_room("solo", "cabo", config={"max_players": 4, "bots": 3})
    room, code = body["room"], body["room_code"]
    assert room["config"]["bots"] == 3 and room["player_count"] == 4
    assert [p["username"] for p in _bots(room)] == ["Bot 1", "Bot 2", "Bot 3"]
    assert [p["bot"] for p in room["players"]] == [False, True, True, True]
    assert room["host_session_id"] == alice.session_id

    # The room as anyone reads it again says the same.
    again = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert again["players"] == room["players"]

    # Fewer bots: the newest go first.
    resp = await alice.http.patch(f"/api/rooms/{code}/config", json={"bots": 1})
    assert resp.status_code == 200, resp.text
    room = resp.json()["room"]
    assert room["config"]["bots"] == 1 and [p["username"] for p in _bots(room)] == ["Bot 1"]
    # More again: the free names are used.
    room = (await alice.http.patch(f"/api/rooms/{code}/config", json={"bots": 2})).json()["room"]
    assert [p["username"] for p in _bots(room)] == ["Bot 1", "Bot 2"]

    # A person takes a free seat; bots then fill only what is left.
    bob = await api.user("bob")
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    carol = await api.user("carol")
    error(await carol.http.post(f"/api/rooms/{code}/join"), 409, "room_full")


async def test_bots_over_the_free_seats_and_other_refusals(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    resp = await alice.http.post("/api/rooms", json={"name": "r", "game": "tictactoe", "config": {"bots": 2}})
    body = error(resp, 422, "invalid_config")
    assert body["fields"][0]["field"] == "bots"
    for bad in (-1, "1", True, 1.5):
        resp = await alice.http.post(
            "/api/rooms", json={"name": "r", "game": "cabo", "config": {"bots": bad}}
        )
        error(resp, 422, "invalid_config")

    code = (await alice.create_room("r", "cabo", config={"max_players": 3}))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    body = error(await alice.http.patch(f"/api/rooms/{code}/config", json={"bots": 2}), 422, "invalid_config")
    assert body["fields"] == [{"field": "bots", "message": body["message"]}]
    error(await bob.http.patch(f"/api/rooms/{code}/config", json={"bots": 1}), 403, "not_host")

    # Lowering max_players under the people and bots seated is refused too.
    assert (await alice.http.patch(f"/api/rooms/{code}/config", json={"bots": 1})).status_code == 200
    error(await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 2}), 422, "invalid_config")
    ok = await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 2, "bots": 0})
    assert ok.status_code == 200 and ok.json()["room"]["player_count"] == 2

    # During a game the bots change no more than any other config.
    assert (
        await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 3, "bots": 1})
    ).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    error(await alice.http.patch(f"/api/rooms/{code}/config", json={"bots": 0}), 409, "game_in_progress")


async def test_bots_are_never_host_and_never_keep_a_room(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo", config={"max_players": 4, "bots": 2}))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    room = (await alice.http.post(f"/api/rooms/{code}/leave")).json()["room"]
    assert room["host_session_id"] == bob.session_id  # the bots were seated before bob
    assert (await bob.http.post(f"/api/rooms/{code}/leave")).json()["room"] is None
    error(await bob.http.get(f"/api/rooms/{code}"), 404, "room_not_found")

    # The last person leaving mid-game closes it too.
    code = (await alice.create_room("r", "tictactoe", config={"bots": 1}))["room_code"]
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/leave")).json()["room"] is None
    error(await alice.http.get(f"/api/rooms/{code}"), 404, "room_not_found")


async def test_a_kept_room_keeps_its_bots_without_a_host(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    config = {"max_players": 4, "bots": 2, "keep_when_empty": True}
    code = (await alice.create_room("r", "cabo", config=config))["room_code"]
    room = (await alice.http.post(f"/api/rooms/{code}/leave")).json()["room"]
    assert room["host_session_id"] is None and len(_bots(room)) == 2
    room = (await bob.http.post(f"/api/rooms/{code}/join")).json()["room"]
    assert room["host_session_id"] == bob.session_id


async def test_kicking_a_bot_is_one_bot_fewer(api: Api) -> None:
    alice = await api.user("alice")
    room = (await alice.create_room("r", "cabo", config={"bots": 2}))["room"]
    bot = _bots(room)[0]
    resp = await alice.http.post(
        f"/api/rooms/{room['room_code']}/kick", json={"session_id": bot["session_id"]}
    )
    assert resp.status_code == 200, resp.text
    room = resp.json()["room"]
    assert room["config"]["bots"] == 1 and [p["username"] for p in _bots(room)] == ["Bot 2"]
