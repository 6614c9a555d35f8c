"""Accounts over HTTP: sign up from a guest session, log in elsewhere, log out, sign out other devices."""

from __future__ import annotations

import asyncio

from tests.conftest import Api, FakeClock, User


async def sign_up(user: User, username: str, password: str = "correct horse") -> dict[str, object]:
    resp = await user.http.post("/api/accounts", json={"username": username, "password": password})
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def log_in(api: Api, username: str, password: str = "correct horse") -> User:
    client = api.client()
    resp = await client.post("/api/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert resp.cookies.get("roomservice_session") or "set-cookie" in resp.headers
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {body['token']}"
    return User(client, body["session_id"], body["username"], body["token"])


async def test_a_guest_becomes_an_account_and_logs_in_elsewhere(api: Api) -> None:
    guest = await api.user("Alice W")
    assert (await guest.http.get("/api/session")).json()["account"] is None
    body = await sign_up(guest, "Alice")
    account = body["account"]
    assert isinstance(account, dict) and account["username"] == "Alice"
    assert body["session"] == {
        "session_id": guest.session_id,
        "username": "Alice",
        "account": {"id": account["id"], "username": "Alice"},
    }
    current = (await guest.http.get("/api/session")).json()
    assert current["account"] == {"id": account["id"], "username": "Alice"}

    other = await log_in(api, "alice")  # any case
    assert other.session_id != guest.session_id
    me = (await other.http.get("/api/account")).json()
    assert me["id"] == account["id"] and me["username"] == "Alice" and me["sessions"] == 2
    assert me["created_at"].endswith("Z")


async def test_logout_and_sign_out_other_devices(api: Api) -> None:
    first = await api.user("a")
    await sign_up(first, "bob_1")
    second = await log_in(api, "bob_1")
    third = await log_in(api, "BOB_1")

    resp = await third.http.post("/api/logout")
    assert resp.status_code == 204
    assert (await third.http.get("/api/session")).json()["error"]["code"] == "invalid_token"

    resp = await second.http.delete("/api/account/sessions")
    assert resp.status_code == 200 and resp.json() == {"signed_out": 1}
    gone = await first.http.get("/api/session")
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "invalid_token"
    assert (await second.http.get("/api/account")).json()["sessions"] == 1


async def test_wrong_passwords_are_throttled(api: Api, clock: FakeClock) -> None:
    owner = await api.user("c")
    await sign_up(owner, "carol")
    client = api.client()
    for _ in range(5):
        resp = await client.post("/api/login", json={"username": "carol", "password": "wrong password"})
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_credentials"
    resp = await client.post("/api/login", json={"username": "carol", "password": "correct horse"})
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "too_many_attempts"
    assert resp.headers["Retry-After"] == "900"
    clock.advance(900)
    resp = await client.post("/api/login", json={"username": "carol", "password": "correct horse"})
    assert resp.status_code == 200


async def test_two_concurrent_sign_ups_of_one_name(api: Api) -> None:
    a, b = await api.user("a"), await api.user("b")
    results = await asyncio.gather(
        a.http.post("/api/accounts", json={"username": "Dana", "password": "password1"}),
        b.http.post("/api/accounts", json={"username": "dana", "password": "password2"}),
    )
    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["code"] == "username_taken"
