"""The account service itself: hashing off the event loop, the same work for an unknown username as
for a wrong password, and hashes upgraded when the hasher's cost is raised."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from roomservice.accounts import AccountService, InvalidCredentials, require_account
from roomservice.errors import Forbidden, NotFound
from roomservice.sessions import SessionService, TokenSigner
from roomservice.store import accounts as repo
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from tests.conftest import FakeClock


class Watched(PasswordHasher):
    """A real (cheap) Argon2id hasher that notes which thread hashed and verified what."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**{"time_cost": 1, "memory_cost": 1024, "parallelism": 1, **params})
        self.verified: list[str] = []
        self.threads: set[int] = set()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.threads.add(threading.get_ident())
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.threads.add(threading.get_ident())
        self.verified.append(str(hash))
        return super().verify(hash, password)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


def _service(db: Database, hasher: PasswordHasher, clock: FakeClock) -> AccountService:
    return AccountService(db, SessionService(db, TokenSigner("s", 3600), clock), clock, hasher)


async def test_an_unknown_username_costs_one_verification_like_a_wrong_password(
    db: Database, clock: FakeClock
) -> None:
    hasher = Watched()
    accounts = _service(db, hasher, clock)
    guest, _ = await accounts.sessions.create("x")
    await accounts.sign_up(guest, "alice", "a good password")
    for username in ("alice", "bob", "no such name!", None):
        before = len(hasher.verified)
        with pytest.raises(InvalidCredentials):
            await accounts.log_in(username, "wrong password")
        assert len(hasher.verified) == before + 1, username
    # Every hash and verification ran on a worker thread, never the event loop's.
    assert threading.get_ident() not in hasher.threads


async def test_a_hash_made_cheaper_than_today_is_upgraded_at_log_in(db: Database, clock: FakeClock) -> None:
    old = _service(db, Watched(), clock)
    guest, _ = await old.sessions.create("x")
    await old.sign_up(guest, "carol", "a good password")
    stronger = Watched(time_cost=2)
    new = _service(db, stronger, clock)
    account, session, token = await new.log_in("CAROL", "a good password")
    assert session.account_id == account.account_id and token
    async with db.read() as conn:
        found = await repo.find_by_username(conn, "carol")
    assert found is not None and not stronger.check_needs_rehash(found[1])
    assert (await new.log_in("carol", "a good password"))[0] == account


async def test_accounts_are_found_by_name_in_any_case_and_by_id(db: Database, clock: FakeClock) -> None:
    accounts = _service(db, Watched(), clock)
    guest, _ = await accounts.sessions.create("x")
    made, session = await accounts.sign_up(guest, "Dana_R", "a good password")
    assert await accounts.named(" dana_r ") == made
    for unknown in ("dana", "", None):
        with pytest.raises(NotFound) as caught:
            await accounts.named(unknown)
        assert caught.value.code == "account_not_found"
    async with db.read() as conn:
        assert await repo.accounts_by_id(conn, [made.account_id, "nobody"]) == {made.account_id: made}
    assert require_account(session) == made.account_id
    with pytest.raises(Forbidden) as refused:
        require_account(guest)
    assert refused.value.code == "account_required"
