"""Each room operation is one transaction: races for the last seat have exactly one winner."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.conftest import Api


async def test_fifty_joins_for_the_last_seat(api: Api) -> None:
    host = await api.user("host")
    code = (await host.create_room("race", "tictactoe"))["room_code"]
    racers = [await api.user(f"racer{i}") for i in range(50)]
    results = await asyncio.gather(*(u.http.post(f"/api/rooms/{code}/join") for u in racers))
    outcomes = Counter("ok" if r.status_code == 200 else r.json()["error"]["code"] for r in results)
    assert outcomes == {"ok": 1, "room_full": 49}
    room = (await host.http.get(f"/api/rooms/{code}")).json()["room"]
    assert room["player_count"] == 2 and len(room["players"]) == 2


async def test_one_session_racing_into_two_rooms_gets_one(api: Api) -> None:
    a, b, racer = await api.user("a"), await api.user("b"), await api.user("racer")
    codes = [
        (await a.create_room("a", "cabo"))["room_code"],
        (await b.create_room("b", "cabo"))["room_code"],
    ]
    results = await asyncio.gather(*(racer.http.post(f"/api/rooms/{c}/join") for c in codes * 5))
    statuses = Counter(r.status_code for r in results)
    assert statuses[409] >= 5
    seated = (await racer.http.get("/api/session")).json()["room_code"]
    assert seated in codes
    wins = {r.json()["room"]["room_code"] for r in results if r.status_code == 200}
    assert wins == {seated}


async def test_concurrent_creates_respect_one_seat(api: Api) -> None:
    alice = await api.user("alice")
    results = await asyncio.gather(
        *(alice.http.post("/api/rooms", json={"name": f"r{i}", "game": "cabo"}) for i in range(6))
    )
    assert Counter(r.status_code for r in results) == {201: 1, 409: 5}
