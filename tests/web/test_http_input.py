"""Input that cannot hurt over HTTP: body size, JSON depth and range, lone surrogates, NUL, crafted
lobby cursors. Each gets a coded 4xx, never a 500 and never a body read whole."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Api
from tests.web.test_rooms import error

DEEP = b'{"password": ' + b"[" * 40 + b"]" * 40 + b"}"


async def test_deep_nesting_and_huge_numbers_are_422_everywhere(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    headers = {"content-type": "application/json"}
    for method, path in [
        ("POST", f"/api/rooms/{code}/join"),
        ("POST", "/api/rooms"),
        ("POST", "/api/session"),
        ("PATCH", f"/api/rooms/{code}/config"),
        ("POST", f"/api/rooms/{code}/start"),
    ]:
        for body in (
            DEEP,
            b"[" * 3000 + b"]" * 3000,
            b'{"max_players": 1e400}',
            b'{"password": -1e400}',
            b'{"x": 1' + b"0" * 400 + b"}",
        ):
            resp = await bob.http.request(method, path, content=body, headers=headers)
            error(resp, 422, "invalid_json")
    # Nesting up to the documented limit (32) is fine: it reaches the route's own validation.
    ok = b'{"options": ' + b"[" * 31 + b"]" * 31 + b"}"
    resp = await alice.http.post(f"/api/rooms/{code}/start", content=ok, headers=headers)
    error(resp, 422, "validation_error")


async def test_lone_surrogates_are_422_not_500(api: Api) -> None:
    alice = await api.user("alice")
    headers = {"content-type": "application/json"}
    cases = [
        ("/api/session", '{"username": "\\ud800"}'),
        ("/api/rooms", '{"name": "Room \\ud800", "game": "cabo"}'),
        ("/api/rooms", '{"name": "Room", "game": "cabo", "password": "\\udfff"}'),
        ("/api/rooms", '{"name": "Room", "game": "cabo", "password": "NaN", "x": NaN}'),
        ("/api/rooms", '{"name": "Room \\u0000", "game": "cabo"}'),
    ]
    for path, body in cases:
        error(await alice.http.post(path, content=body, headers=headers), 422, "invalid_json")
    code = (await alice.create_room("r", "cabo", password="pw"))["room_code"]
    bob = await api.user("bob")
    resp = await bob.http.post(f"/api/rooms/{code}/join", content='{"password": "\\ud800"}', headers=headers)
    error(resp, 422, "invalid_json")
    error(await bob.http.get("/api/rooms", params={"q": "a\x00b"}), 422, "validation_error")
    error(await bob.http.get("/api/rooms/AB%00CD"), 422, "validation_error")
    # Surrogate pairs (real characters written as escapes) are fine.
    resp = await alice.http.patch(
        "/api/session", content='{"username": "bob\\ud83d\\ude00"}', headers=headers
    )
    error(resp, 422, "invalid_username")


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def test_crafted_cursors_are_invalid_cursor(api: Api) -> None:
    alice = await api.user("alice")
    for sort, value in [
        ("created_at", {"a": 1}),
        ("created_at", [1, 2]),
        ("created_at", ["created_at", "desc", {"a": 1}, "x"]),
        ("created_at", ["created_at", "desc", [1], "x"]),
        ("created_at", ["created_at", "desc", 10**30, "x"]),
        ("players", ["players", "desc", 2**40, "x"]),
        ("players", ["players", "desc", "two", "x"]),
        ("name", ["name", "desc", 5, "x"]),
        ("name", ["name", "desc", "a\x00", "x"]),
        ("created_at", ["created_at", "desc", 1.5, {"id": 1}]),
        ("created_at", ["created_at", "desc", True, "x"]),
    ]:
        resp = await alice.http.get("/api/rooms", params={"sort": sort, "cursor": _cursor(value)})
        error(resp, 422, "invalid_cursor")
    huge = "1" * 600
    error(await alice.http.get("/api/rooms", params={"cursor": huge}), 422, "invalid_cursor")
    # A well-formed cursor still pages.
    good = _cursor(["created_at", "desc", 1.5e9, "some-room-id"])
    resp = await alice.http.get("/api/rooms", params={"cursor": good})
    assert resp.status_code == 200, resp.text


async def test_a_body_over_the_limit_is_413_from_its_length(api: Api) -> None:
    alice = await api.user("alice")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    bob = await api.user("bob")
    big = b'{"password": "' + b"x" * (64 * 1024) + b'"}'
    for method, path in [("POST", f"/api/rooms/{code}/join"), ("POST", "/api/session"), ("PUT", "/api/x")]:
        resp = await bob.http.request(method, path, content=big, headers={"content-type": "application/json"})
        error(resp, 413, "payload_too_large")
        assert resp.json()["error"]["limit"] == 64 * 1024
    # Just under the limit is read (and here refused by the route for what it says).
    fits = b'{"username": "' + b"x" * (64 * 1024 - 20) + b'"}'
    resp = await bob.http.post("/api/session", content=fits, headers={"content-type": "application/json"})
    error(resp, 422, "invalid_username")


async def test_a_chunked_body_is_refused_once_it_grows_past_the_limit(api: Api) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(20_000):  # 20 MB if it were all read
            sent += 1
            yield b"x" * 1024

    client = api.client()
    resp = await client.post("/api/session", content=chunks(), headers={"content-type": "application/json"})
    error(resp, 413, "payload_too_large")
    assert sent <= 66  # 64 KiB and the chunk that crossed it (and the one in flight)


@pytest.mark.parametrize("limit", [1024])
async def test_the_body_limit_is_a_setting(api: Api, limit: int) -> None:
    from roomservice.config import Settings

    settings = Settings.from_env({"ROOMSERVICE_MAX_BODY": str(limit), "ROOMSERVICE_MAX_JSON_DEPTH": "3"})
    assert settings.max_body == limit and settings.max_json_depth == 3
    from roomservice.web.app import create_app

    app = create_app(settings, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # Refused before the app or its database is needed.
        error(await client.post("/api/session", content=b"x" * (limit + 1)), 413, "payload_too_large")
        error(await client.post("/api/session", content=b"[[[[1]]]]"), 422, "invalid_json")
