"""Guest sessions over HTTP: create, read, rename, and how tokens are carried."""

from __future__ import annotations

import pytest

from tests.conftest import Api


async def test_create_returns_session_and_sets_cookie(api: Api) -> None:
    client = api.client()
    resp = await client.post("/api/session", json={"username": "  Alice_1 "})
    assert resp.status_code == 201
    body = resp.json()
    assert body["username"] == "Alice_1"
    assert set(body) >= {"session_id", "username", "token"}
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP keeps working locally
    # The cookie alone authenticates.
    me = await client.get("/api/session")
    assert me.status_code == 200
    assert me.json()["session_id"] == body["session_id"]


async def test_bearer_token_authenticates(api: Api) -> None:
    alice = await api.user("alice")
    resp = await alice.http.get("/api/session")
    assert resp.json()["username"] == "alice"
    assert resp.json()["room_code"] is None


@pytest.mark.parametrize("username", ["", "   ", "x" * 25, "bad<name>", "émile", "tab\tname", 42, None])
async def test_bad_usernames_are_refused_with_the_rule(api: Api, username: object) -> None:
    resp = await api.client().post("/api/session", json={"username": username})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "invalid_username"
    assert "letters" in error["message"] and "24" in error["message"]


async def test_no_session_is_401(api: Api) -> None:
    resp = await api.client().get("/api/session")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"


async def test_forged_token_is_401(api: Api) -> None:
    client = api.client()
    resp = await client.get("/api/session", headers={"Authorization": "Bearer not.a.token"})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "invalid_token"


async def test_rename(api: Api) -> None:
    alice = await api.user("alice")
    resp = await alice.http.patch("/api/session", json={"username": "Alice Cooper"})
    assert resp.status_code == 200
    assert (await alice.http.get("/api/session")).json()["username"] == "Alice Cooper"
    bad = await alice.http.patch("/api/session", json={"username": "no/slash"})
    assert bad.status_code == 422
    assert (await alice.http.get("/api/session")).json()["username"] == "Alice Cooper"


async def test_generated_secret_is_kept(api: Api, app: object) -> None:
    from roomservice.config import Settings
    from roomservice.services import build_services

    settings: Settings = app.state.services.settings  # type: ignore[attr-defined]
    unsigned = Settings(database_url=settings.database_url, data_dir=settings.data_dir)
    first = await build_services(unsigned)
    second = await build_services(unsigned)
    try:
        session, token = await first.sessions.create("bob")
        assert (await second.sessions.authenticate(token)).session_id == session.session_id
    finally:
        await first.close()
        await second.close()
