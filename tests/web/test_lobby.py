"""The lobby: filters, every sort field, both orders, and cursor pages that add up to the whole."""

from __future__ import annotations

import pytest

from tests.conftest import Api, FakeClock, User

SORTS = ["name", "game", "players", "capacity", "state", "created_at", "last_activity"]


async def _populate(api: Api, clock: FakeClock) -> list[User]:
    users = [await api.user(f"user{i}") for i in range(8)]
    specs = [
        ("delta", "cabo", {"max_players": 4}, None),
        ("Alpha", "tictactoe", {}, None),
        ("charlie", "cabo", {"max_players": 6}, "pw"),
        ("bravo", "cabo", {"max_players": 3}, None),
        ("echo", "tictactoe", {}, None),
    ]
    rooms = []
    for user, (name, game, config, password) in zip(users, specs, strict=False):
        clock.advance(10)
        rooms.append(await user.create_room(name, game, config=config, password=password))
    # Fill some seats: delta gets 2 more players, echo becomes full and starts.
    clock.advance(10)
    await users[5].http.post(f"/api/rooms/{rooms[0]['room_code']}/join")
    await users[6].http.post(f"/api/rooms/{rooms[0]['room_code']}/join")
    await users[7].http.post(f"/api/rooms/{rooms[4]['room_code']}/join")
    await users[4].http.post(f"/api/rooms/{rooms[4]['room_code']}/start")
    return users


async def _all_pages(user: User, **params: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        resp = await user.http.get("/api/rooms", params=query)  # type: ignore[arg-type]
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out.extend(body["rooms"])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def _key(room: dict[str, object], sort: str) -> object:
    if sort == "name":
        return str(room["name"]).lower()
    if sort == "players":
        return room["player_count"]
    return room[sort]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_sorted_pages_cover_every_room_once(api: Api, clock: FakeClock, sort: str, order: str) -> None:
    users = await _populate(api, clock)
    rooms = await _all_pages(users[0], sort=sort, order=order, limit=2)
    assert len(rooms) == 5
    assert len({r["room_code"] for r in rooms}) == 5
    keys = [_key(r, sort) for r in rooms]
    assert keys == sorted(keys, reverse=order == "desc")  # type: ignore[type-var]


async def test_filters(api: Api, clock: FakeClock) -> None:
    users = await _populate(api, clock)
    get = users[0].http.get

    async def names(**params: object) -> list[str]:
        resp = await get("/api/rooms", params={"sort": "name", "order": "asc", **params})  # type: ignore[arg-type]
        assert resp.status_code == 200, resp.text
        return [r["name"] for r in resp.json()["rooms"]]

    assert await names(game="tictactoe") == ["Alpha", "echo"]
    assert await names(state="IN_GAME") == ["echo"]
    assert await names(has_password="true") == ["charlie"]
    assert await names(has_password="false") == ["Alpha", "bravo", "delta", "echo"]
    assert await names(q="HAR") == ["charlie"]
    assert await names(q="%") == []
    assert await names(free_seats="false") == ["echo"]
    assert await names(game="cabo", has_password="false") == ["bravo", "delta"]


async def test_default_listing_and_bad_params(api: Api, clock: FakeClock) -> None:
    users = await _populate(api, clock)
    get = users[0].http.get
    body = (await get("/api/rooms")).json()
    assert [r["name"] for r in body["rooms"]] == ["echo", "bravo", "charlie", "Alpha", "delta"]
    assert body["next_cursor"] is None
    room = body["rooms"][0]
    assert room["player_count"] == 2 and room["capacity"] == 2 and room["state"] == "IN_GAME"
    for params, code in [
        ({"sort": "password"}, "invalid_sort"),
        ({"order": "sideways"}, "invalid_order"),
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 101}, "invalid_limit"),
        ({"limit": "ten"}, "validation_error"),
        ({"state": "PLAYING"}, "validation_error"),
        ({"cursor": "garbage!"}, "invalid_cursor"),
    ]:
        resp = await get("/api/rooms", params=params)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.json()["error"]["code"] == code
    # A cursor only continues the listing that made it.
    first = (await get("/api/rooms", params={"sort": "name", "limit": 1})).json()
    resp = await get("/api/rooms", params={"sort": "game", "cursor": first["next_cursor"]})
    assert resp.json()["error"]["code"] == "invalid_cursor"
