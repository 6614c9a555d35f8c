"""Idle rooms expire on an injected clock; nothing sleeps."""

from __future__ import annotations

from fastapi import FastAPI

from tests.conftest import Api, FakeClock


async def test_idle_rooms_expire(api: Api, app: FastAPI, clock: FakeClock) -> None:
    service = app.state.services.rooms
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    waiting = (await alice.create_room("waiting", "cabo"))["room_code"]
    short = (await bob.create_room("short", "cabo", config={"timeout_seconds": 60}))["room_code"]
    playing = (await carol.create_room("playing", "tictactoe"))["room_code"]
    dave = await api.user("dave")
    await dave.http.post(f"/api/rooms/{playing}/join")
    await carol.http.post(f"/api/rooms/{playing}/start")

    clock.advance(61)
    assert [r.room_code for r in await service.expire()] == [short]

    clock.advance(540)
    await alice.http.post(f"/api/rooms/{waiting}/join")  # idempotent rejoin is not activity
    assert [r.room_code for r in await service.expire()] == [waiting]
    assert (await alice.http.get("/api/session")).json()["room_code"] is None

    # Rooms in a game live for three days of inactivity by default.
    clock.advance(3 * 24 * 3600 - 1200)
    assert await service.expire() == []
    clock.advance(700)
    assert [r.room_code for r in await service.expire()] == [playing]
    assert (await dave.http.get(f"/api/rooms/{playing}")).status_code == 404


async def test_activity_postpones_expiry(api: Api, app: FastAPI, clock: FakeClock) -> None:
    service = app.state.services.rooms
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("busy", "cabo"))["room_code"]
    clock.advance(590)
    await bob.http.post(f"/api/rooms/{code}/join")
    clock.advance(590)
    assert await service.expire() == []
    clock.advance(20)
    assert [r.room_code for r in await service.expire()] == [code]
