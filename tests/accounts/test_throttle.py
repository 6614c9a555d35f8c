"""Wrong passwords are throttled: 5 per account (the username tried, known or not) and 20 per client
address in any 15 minutes; past that, 429 ``too_many_attempts`` with ``Retry-After``, even for the
right password. Time is the app's clock, moved by the test."""

from __future__ import annotations

import httpx

from tests.accounts.people import PASSWORD, account
from tests.conftest import Api, FakeClock

WRONG = "not my password"


async def _try(client: httpx.AsyncClient, username: str, password: str = WRONG) -> httpx.Response:
    return await client.post("/api/login", json={"username": username, "password": password})


def _refused(resp: httpx.Response) -> int:
    """The ``Retry-After`` of a 429 ``too_many_attempts``."""
    assert resp.status_code == 429, resp.text
    assert resp.json()["error"]["code"] == "too_many_attempts"
    return int(resp.headers["Retry-After"])


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(api: Api, clock: FakeClock) -> None:
    await account(api, "alice")
    for _ in range(5):  # each from another address: the account's count is what stops the sixth
        assert (await _try(api.client(), "alice")).status_code == 401
        clock.advance(10)
    assert _refused(await _try(api.client(), "ALICE", PASSWORD)) == 900 - 50
    clock.advance(900 - 50 - 1)
    assert _refused(await _try(api.client(), "alice", PASSWORD)) == 1
    clock.advance(1)  # the first wrong one is 15 minutes old: one more try counts
    assert (await _try(api.client(), "alice", PASSWORD)).status_code == 200
    assert (await _try(api.client(), "alice")).status_code == 401
    assert _refused(await _try(api.client(), "alice", PASSWORD)) == 10


async def test_an_unknown_username_is_throttled_like_a_real_one(api: Api) -> None:
    for _ in range(5):
        assert (await _try(api.client(), "nobody_here")).status_code == 401
    assert _refused(await _try(api.client(), "nobody_here")) == 900


async def test_twenty_wrong_passwords_from_one_address_lock_the_address(api: Api, clock: FakeClock) -> None:
    await account(api, "bob")
    attacker = api.client()
    for i in range(20):
        assert (await _try(attacker, f"user{i}")).status_code == 401
    assert _refused(await _try(attacker, "bob", PASSWORD)) == 900
    # Bob, elsewhere, is not locked out by it.
    assert (await _try(api.client(), "bob", PASSWORD)).status_code == 200
    clock.advance(900)
    assert (await _try(attacker, "bob", PASSWORD)).status_code == 200


async def test_right_passwords_do_not_count(api: Api) -> None:
    await account(api, "carol")
    device = api.client()
    for _ in range(4):
        assert (await _try(device, "carol")).status_code == 401
    for _ in range(3):
        assert (await _try(device, "carol", PASSWORD)).status_code == 200
    assert (await _try(device, "carol")).status_code == 401  # the fifth wrong one, not the eighth try
    assert _refused(await _try(device, "carol", PASSWORD)) == 900
