"""Accounts for the workshop's tests: a session signed up as an account, over HTTP."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, User


async def member(api: Api, username: str) -> User:
    """A client whose session is the account ``username``."""
    user = await api.user(username)
    resp = await user.http.post("/api/accounts", json={"username": username, "password": "correct horse"})
    assert resp.status_code == 201, resp.text
    return user


async def new_project(user: User, name: str = "Castle", **body: Any) -> dict[str, Any]:
    resp = await user.http.post("/api/projects", json={"name": name, **body})
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def error_code(resp: Any) -> str:
    return resp.json()["error"]["code"]  # type: ignore[no-any-return]
