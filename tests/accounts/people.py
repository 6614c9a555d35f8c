"""Signing up and logging in as a test's people do: over HTTP, each device a client of its own."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, User

PASSWORD = "correct horse"


async def sign_up(user: User, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """``user``'s guest session becomes the account ``username``; the ``POST /api/accounts`` body."""
    resp = await user.http.post("/api/accounts", json={"username": username, "password": password})
    assert resp.status_code == 201, resp.text
    user.name = username
    return resp.json()  # type: ignore[no-any-return]


async def account(api: Api, username: str, password: str = PASSWORD) -> User:
    """A new account's first device."""
    user = await api.user(username)
    await sign_up(user, username, password)
    return user


async def log_in(api: Api, username: str, password: str = PASSWORD) -> User:
    """Another device of the account: a client of its own (another address) holding a new session."""
    client = api.client()
    resp = await client.post("/api/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {body['token']}"
    return User(client, body["session_id"], body["username"], body["token"])
