"""What a session makes belongs to its account: rooms it created and hosts, leaderboard entries."""

from __future__ import annotations

from typing import Any

from tests.accounts.people import account, log_in
from tests.conftest import Api, User


def error(resp: Any, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code


async def _win(winner: User, loser: User) -> None:
    """A tic-tac-toe game ``winner`` wins: the loser leaves mid-game and forfeits."""
    code = (await winner.create_room("t", "tictactoe"))["room_code"]
    assert (await loser.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await winner.http.post(f"/api/rooms/{code}/start")).status_code == 200
    assert (await loser.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    assert (await winner.http.post(f"/api/rooms/{code}/leave")).status_code == 200


async def test_an_account_is_one_leaderboard_entry_whichever_device_played(api: Api) -> None:
    laptop = await account(api, "Alice")
    me = (await laptop.http.get("/api/account")).json()
    guest = await api.user("bob")
    await _win(laptop, guest)
    phone = await log_in(api, "alice")
    await _win(phone, guest)

    board = (await guest.http.get("/api/leaderboards/tictactoe")).json()
    assert board["total"] == 2
    top = board["entries"][0]
    assert top == {"rank": 1, "username": "Alice", "player_id": me["id"], "wins": 2, "played": 2, "score": 2}
    # A guest is still ranked as their session.
    assert board["entries"][1]["player_id"] == guest.session_id
    around = (await phone.http.get("/api/leaderboards/tictactoe", params={"around": "me", "limit": 1})).json()
    assert around["entries"][0]["player_id"] == me["id"]


async def test_the_room_limit_counts_every_device_of_the_account(api: Api) -> None:
    laptop = await account(api, "carol")
    phone = await log_in(api, "carol")
    codes = []
    for i in range(5):
        device = laptop if i % 2 else phone
        code = (await device.create_room(f"r{i}", "cabo", config={"keep_when_empty": True}))["room_code"]
        codes.append(code)
        assert (await device.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    refused = await laptop.http.post("/api/rooms", json={"name": "six", "game": "cabo"})
    error(refused, 409, "room_limit")
    assert sorted(r["room_code"] for r in refused.json()["error"]["rooms"]) == sorted(codes)
    mine = (await phone.http.get("/api/rooms/mine")).json()["rooms"]
    assert sorted(r["room_code"] for r in mine) == sorted(codes)
    # A room made on the phone can be closed from the laptop; a stranger's session cannot close it.
    stranger = await api.user("dave")
    error(await stranger.http.delete(f"/api/rooms/{codes[0]}"), 403, "not_host")
    assert (await laptop.http.delete(f"/api/rooms/{codes[0]}")).status_code in (200, 204)
    assert (await laptop.http.post("/api/rooms", json={"name": "six", "game": "cabo"})).status_code == 201
    # A guest's limit is still its own session's.
    assert (await stranger.create_room("own", "cabo"))["room"]["creator_session_id"] == stranger.session_id


async def test_the_host_is_the_account_on_any_device(api: Api) -> None:
    laptop = await account(api, "erin")
    phone = await log_in(api, "erin")
    frank, grace = await api.user("frank"), await api.user("grace")
    code = (await laptop.create_room("t", "cabo"))["room_code"]
    for guest in (frank, grace):
        assert (await guest.http.post(f"/api/rooms/{code}/join")).status_code == 200
    # The phone is not seated, yet it may act as the host its account is.
    resp = await phone.http.patch(f"/api/rooms/{code}/config", json={"max_players": 3})
    assert resp.status_code == 200, resp.text
    kicked = await phone.http.post(f"/api/rooms/{code}/kick", json={"session_id": grace.session_id})
    assert kicked.status_code == 200, kicked.text
    error(
        await phone.http.post(f"/api/rooms/{code}/kick", json={"session_id": laptop.session_id}),
        422,
        "cannot_kick_self",
    )
    error(await frank.http.post(f"/api/rooms/{code}/start"), 403, "not_host")
    assert (await phone.http.post(f"/api/rooms/{code}/start")).status_code == 200
    assert (await phone.http.post(f"/api/rooms/{code}/end")).status_code == 200
