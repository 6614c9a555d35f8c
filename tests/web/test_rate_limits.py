"""HTTP rate limits per client address (and per room for passwords): 429 ``rate_limited`` with
``Retry-After``; time moves by the app's clock, never by sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from roomservice.config import Settings
from roomservice.web.app import create_app
from tests.conftest import FakeClock, User
from tests.web.test_rooms import error


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _user(app: FastAPI, address: str, name: str) -> User:
    client = _from(app, address)
    resp = await client.post("/api/session", json={"username": name})
    assert resp.status_code == 201, resp.text
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {resp.json()['token']}"
    return User(client, resp.json()["session_id"], name, resp.json()["token"])


async def test_session_creation_is_limited_per_address(app: FastAPI, clock: FakeClock) -> None:
    here, there = _from(app, "10.0.0.1"), _from(app, "10.0.0.2")
    for i in range(30):
        assert (await here.post("/api/session", json={"username": f"u{i}"})).status_code == 201
    resp = await here.post("/api/session", json={"username": "one-more"})
    error(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "2"  # 30 a minute: one every 2 s
    # Another address is not affected.
    assert (await there.post("/api/session", json={"username": "other"})).status_code == 201
    clock.advance(2)
    assert (await here.post("/api/session", json={"username": "later"})).status_code == 201
    error(await here.post("/api/session", json={"username": "again"}), 429, "rate_limited")
    for client in (here, there):
        await client.aclose()


async def test_room_creation_is_limited_per_address(app: FastAPI, clock: FakeClock) -> None:
    users = [await _user(app, "10.0.0.3", f"host{i}") for i in range(21)]
    for user in users[:20]:
        await user.create_room()
    resp = await users[20].http.post("/api/rooms", json={"name": "r", "game": "cabo"})
    error(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "3"
    clock.advance(3)
    await users[20].create_room()
    for user in users:
        await user.http.aclose()


@pytest.fixture
async def small(tmp_path: Path, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """An app (SQLite: limits do not depend on the database) allowing 3 password attempts a minute per
    address and per room, so that few Argon2 hashes are needed to reach them."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'small.db'}",
        secret_key="s",
        http_rate_passwords=3,
        http_rate_room_passwords=3,
    )
    application = create_app(settings, clock=clock, background=False)
    async with application.router.lifespan_context(application):
        yield application


def test_password_limits_default_to_ten_a_minute() -> None:
    settings = Settings()
    assert (settings.http_rate_passwords, settings.http_rate_room_passwords) == (10, 10)
    assert (settings.http_rate_sessions, settings.http_rate_rooms) == (30, 20)


async def test_wrong_passwords_are_refused_before_hashing(small: FastAPI, clock: FakeClock) -> None:
    alice = await _user(small, "10.0.1.1", "alice")
    code = (await alice.create_room("locked", "cabo", password="secret"))["room_code"]
    mallory = await _user(small, "10.0.1.2", "mallory")
    path = f"/api/rooms/{code}/join"
    # Twenty guesses at once: three are checked (and wrong), the rest refused before any hash.
    answers = await asyncio.gather(*(mallory.http.post(path, json={"password": f"g{i}"}) for i in range(20)))
    codes = sorted(r.json()["error"]["code"] for r in answers)
    assert codes == ["rate_limited"] * 17 + ["wrong_password"] * 3
    limited = next(r for r in answers if r.status_code == 429)
    assert limited.headers["Retry-After"] == "20"
    # The room is protected from other addresses too (per room)...
    trudy = await _user(small, "10.0.1.3", "trudy")
    error(await trudy.http.post(path, json={"password": "secret"}), 429, "rate_limited")
    # ...and the address in other rooms (per address).
    other = (await trudy.create_room("other", "cabo", password="pw"))["room_code"]
    error(await mallory.http.post(f"/api/rooms/{other}/join", json={"password": "pw"}), 429, "rate_limited")
    # Joining without a password is no attempt (and costs no hash): still the plain refusal.
    error(await mallory.http.post(path, json={}), 403, "wrong_password")
    clock.advance(20)
    left = await trudy.http.post(f"/api/rooms/{other}/leave")
    assert left.status_code == 200, left.text
    resp = await trudy.http.post(path, json={"password": "secret"})
    assert resp.status_code == 200, resp.text
    for user in (alice, mallory, trudy):
        await user.http.aclose()


async def test_right_passwords_and_other_failures_do_not_count(small: FastAPI) -> None:
    alice = await _user(small, "10.0.3.1", "alice")
    created = await alice.create_room("locked", "cabo", password="secret", config={"max_players": 2})
    code = created["room_code"]
    bob = await _user(small, "10.0.3.2", "bob")
    for _ in range(2):
        assert (
            await bob.http.post(f"/api/rooms/{code}/join", json={"password": "secret"})
        ).status_code == 200
        assert (await bob.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    error(await bob.http.post("/api/rooms/ZZZZZZ/join", json={"password": "x"}), 404, "room_not_found")
    assert (await bob.http.post(f"/api/rooms/{code}/join", json={"password": "secret"})).status_code == 200
    carol = await _user(small, "10.0.3.3", "carol")
    error(await carol.http.post(f"/api/rooms/{code}/join", json={"password": "secret"}), 409, "room_full")
    # Five attempts by bob and one by carol, none wrong: the room still takes wrong guesses.
    for _ in range(3):
        error(await carol.http.post(f"/api/rooms/{code}/join", json={"password": "x"}), 403, "wrong_password")
    error(await carol.http.post(f"/api/rooms/{code}/join", json={"password": "x"}), 429, "rate_limited")
    for user in (alice, bob, carol):
        await user.http.aclose()


async def test_limits_are_settings_and_zero_turns_them_off(settings: Settings, clock: FakeClock) -> None:
    env = {
        "ROOMSERVICE_HTTP_RATE_SESSIONS": "0",
        "ROOMSERVICE_HTTP_RATE_ROOMS": "1",
        "ROOMSERVICE_HTTP_RATE_PASSWORDS": "0",
        "ROOMSERVICE_HTTP_RATE_ROOM_PASSWORDS": "2",
    }
    custom = Settings.from_env(
        env, database_url=settings.database_url, secret_key="s", data_dir=settings.data_dir
    )
    assert (custom.http_rate_sessions, custom.http_rate_rooms) == (0, 1)
    app = create_app(custom, clock=clock, background=False)
    async with app.router.lifespan_context(app):
        users = [await _user(app, "10.0.2.1", f"u{i}") for i in range(40)]
        code = (await users[0].create_room("locked", "cabo", password="pw"))["room_code"]
        resp = await users[1].http.post("/api/rooms", json={"name": "r", "game": "cabo"})
        error(resp, 429, "rate_limited")
        assert resp.headers["Retry-After"] == "60"
        for user in users[1:3]:
            error(
                await user.http.post(f"/api/rooms/{code}/join", json={"password": "x"}), 403, "wrong_password"
            )
        error(
            await users[3].http.post(f"/api/rooms/{code}/join", json={"password": "x"}), 429, "rate_limited"
        )
        for user in users:
            await user.http.aclose()
