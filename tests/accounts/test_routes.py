"""Accounts over HTTP: sign up from a guest session, log in elsewhere, log out, sign out other devices,
and what each refuses."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.accounts.people import PASSWORD, account, log_in, sign_up
from tests.conftest import Api


def error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()["error"]
    assert body["code"] == code and body["message"]
    return body


async def test_a_guest_becomes_an_account_and_logs_in_elsewhere(api: Api) -> None:
    guest = await api.user("Alice W")
    assert (await guest.http.get("/api/session")).json()["account"] is None
    body = await sign_up(guest, "Alice")
    account_id = body["account"]["id"]
    assert body["account"]["username"] == "Alice" and body["account"]["created_at"].endswith("Z")
    assert body["session"] == {
        "session_id": guest.session_id,
        "username": "Alice",
        "account": {"id": account_id, "username": "Alice"},
    }
    current = (await guest.http.get("/api/session")).json()
    assert current["account"] == {"id": account_id, "username": "Alice"} and current["username"] == "Alice"

    other = await log_in(api, "alice")  # any case
    assert other.session_id != guest.session_id and other.name == "Alice"
    me = (await other.http.get("/api/account")).json()
    assert me == {**body["account"], "sessions": 2}


async def test_login_sets_an_http_only_cookie_that_works(api: Api) -> None:
    await account(api, "cookie_fan")
    browser = api.client()
    resp = await browser.post("/api/login", json={"username": "cookie_fan", "password": PASSWORD})
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-store"
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and resp.json()["token"] in cookie
    # The browser sends it back by itself.
    assert (await browser.get("/api/session")).json()["account"]["username"] == "cookie_fan"
    logout = await browser.post("/api/logout")
    assert logout.status_code == 204 and 'roomservice_session=""' in logout.headers["set-cookie"]
    error(await browser.get("/api/session"), 401, "unauthorized")


@pytest.mark.parametrize("username", ["ab", "x" * 25, "has space", "émile", "", None, 7, ["alice"]])
async def test_usernames_outside_the_rule_are_refused(api: Api, username: object) -> None:
    guest = await api.user("g")
    body = error(
        await guest.http.post("/api/accounts", json={"username": username, "password": PASSWORD}),
        422,
        "invalid_username",
    )
    assert "3–24" in body["message"]


@pytest.mark.parametrize("password", ["7 chars", "p" * 129, None, 12345678, ""])
async def test_passwords_outside_8_to_128_characters_are_refused(api: Api, password: object) -> None:
    guest = await api.user("g")
    body = error(
        await guest.http.post("/api/accounts", json={"username": "someone", "password": password}),
        422,
        "invalid_password",
    )
    assert "8–128" in body["message"]
    assert (await guest.http.get("/api/session")).json()["account"] is None


async def test_the_bounds_of_a_password_are_allowed(api: Api) -> None:
    await account(api, "shortest", "8 chars!")
    await account(api, "longest", "ü" * 128)
    assert (await log_in(api, "longest", "ü" * 128)).name == "longest"


async def test_a_username_is_taken_whatever_its_case(api: Api) -> None:
    await account(api, "Erin")
    guest = await api.user("erin")
    body = error(
        await guest.http.post("/api/accounts", json={"username": "eRIN", "password": PASSWORD}),
        409,
        "username_taken",
    )
    assert "eRIN" in body["message"]
    assert (await guest.http.get("/api/session")).json()["account"] is None


async def test_an_account_session_cannot_sign_up_again(api: Api) -> None:
    user = await account(api, "frank")
    error(
        await user.http.post("/api/accounts", json={"username": "frank2", "password": PASSWORD}),
        409,
        "already_signed_in",
    )


async def test_sign_up_needs_a_session(api: Api) -> None:
    resp = await api.client().post("/api/accounts", json={"username": "nobody", "password": PASSWORD})
    error(resp, 401, "unauthorized")


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(api: Api) -> None:
    await account(api, "grace")
    client = api.client()
    wrong = await client.post("/api/login", json={"username": "grace", "password": "not the one"})
    unknown = await client.post("/api/login", json={"username": "gracie", "password": "not the one"})
    odd = await client.post("/api/login", json={"username": ["grace"], "password": None})
    for resp in (wrong, unknown, odd):
        error(resp, 401, "invalid_credentials")
    assert wrong.json() == unknown.json() == odd.json()
    assert "set-cookie" not in wrong.headers


async def test_a_guest_has_no_account(api: Api) -> None:
    guest = await api.user("h")
    error(await guest.http.get("/api/account"), 403, "account_required")
    error(await guest.http.delete("/api/account/sessions"), 403, "account_required")


async def test_logout_ends_only_this_session(api: Api) -> None:
    laptop = await account(api, "ivan")
    phone = await log_in(api, "ivan")
    assert (await phone.http.post("/api/logout")).status_code == 204
    gone = await phone.http.get("/api/session")
    assert error(gone, 401, "invalid_token")["message"] == "The session has ended; log in or start a new one."
    error(await phone.http.post("/api/logout"), 401, "invalid_token")
    assert (await laptop.http.get("/api/account")).json()["sessions"] == 1
    # A guest may log out too: the session ends.
    guest = await api.user("j")
    assert (await guest.http.post("/api/logout")).status_code == 204
    error(await guest.http.get("/api/session"), 401, "invalid_token")


async def test_signing_out_other_devices_refuses_their_tokens_at_once(api: Api) -> None:
    laptop = await account(api, "kim")
    phone, tablet = await log_in(api, "kim"), await log_in(api, "KIM")
    # Each device has been seen (its session is in the server's cache).
    for device in (laptop, phone, tablet):
        assert (await device.http.get("/api/session")).status_code == 200
    ticket = (await tablet.http.post("/api/session/ticket")).json()["ticket"]
    resp = await laptop.http.delete("/api/account/sessions")
    assert resp.status_code == 200 and resp.json() == {"signed_out": 2}
    for device in (phone, tablet):
        error(await device.http.get("/api/session"), 401, "invalid_token")
        error(await device.http.post("/api/rooms", json={"name": "r", "game": "cabo"}), 401, "invalid_token")
    assert ticket  # a ticket issued before is refused at the socket (tests/accounts/test_sockets.py)
    assert (await laptop.http.get("/api/account")).json()["sessions"] == 1
    assert (await laptop.http.delete("/api/account/sessions")).json() == {"signed_out": 0}
    # The account itself lives on: logging in again works.
    again = await log_in(api, "kim")
    assert (await again.http.get("/api/account")).json()["sessions"] == 2


async def test_two_concurrent_sign_ups_of_one_name(api: Api) -> None:
    a, b = await api.user("a"), await api.user("b")
    results = await asyncio.gather(
        a.http.post("/api/accounts", json={"username": "Dana", "password": "password1"}),
        b.http.post("/api/accounts", json={"username": "dana", "password": "password2"}),
    )
    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409)
    error(loser, 409, "username_taken")
    winner = next(r for r in results if r.status_code == 201).json()
    # Only the winner's password opens the account.
    password = "password1" if winner["session"]["session_id"] == a.session_id else "password2"
    assert (await log_in(api, "DANA", password)).name == winner["account"]["username"]


async def test_one_session_signing_up_twice_at_once_gets_one_account(api: Api) -> None:
    guest = await api.user("twice")
    results = await asyncio.gather(
        guest.http.post("/api/accounts", json={"username": "first_name", "password": PASSWORD}),
        guest.http.post("/api/accounts", json={"username": "second_name", "password": PASSWORD}),
    )
    assert sorted(r.status_code for r in results) == [201, 409]
    error(next(r for r in results if r.status_code == 409), 409, "already_signed_in")
    winner = next(r for r in results if r.status_code == 201).json()["account"]["username"]
    loser = "second_name" if winner == "first_name" else "first_name"
    resp = await api.client().post("/api/login", json={"username": loser, "password": PASSWORD})
    error(resp, 401, "invalid_credentials")
