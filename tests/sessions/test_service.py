"""The session service without a server: names are checked, tokens name their session, and the
in-process copy of a session is used only for its time to live."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roomservice.errors import Invalid, Unauthorized
from roomservice.sessions import SessionService, TokenSigner
from roomservice.store import sessions as repo
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from tests.conftest import FakeClock


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


async def test_create_authenticate_rename(db: Database, clock: FakeClock) -> None:
    service = SessionService(db, TokenSigner("secret", 3600), clock)
    session, token = await service.create("  ann ")
    assert (session.username, session.created_at) == ("ann", clock.now)
    assert await service.authenticate(token) == session
    renamed = await service.rename(session, "Ann B")
    assert renamed.username == "Ann B"
    assert (await service.authenticate(token)).username == "Ann B"
    # A fresh service (another process) reads it from the database.
    other = SessionService(db, TokenSigner("secret", 3600), clock)
    assert await other.authenticate(token) == renamed


async def test_bad_names_and_tokens(db: Database, clock: FakeClock) -> None:
    service = SessionService(db, TokenSigner("secret", 3600), clock)
    with pytest.raises(Invalid) as bad_name:
        await service.create("x" * 25)
    assert bad_name.value.code == "invalid_username"
    with pytest.raises(Unauthorized) as missing:
        await service.authenticate(None)
    assert missing.value.code == "unauthorized"
    with pytest.raises(Unauthorized) as forged:
        await service.authenticate(TokenSigner("other", 3600).sign("s-1"))
    assert forged.value.code == "invalid_token"
    with pytest.raises(Unauthorized) as gone:
        await service.authenticate(service.signer.sign("no-such-session"))
    assert gone.value.code == "invalid_token"


async def test_cached_copy_lasts_its_ttl(db: Database, clock: FakeClock) -> None:
    service = SessionService(db, TokenSigner("secret", 3600), clock, cache_ttl=0.0)
    session, token = await service.create("ann")
    async with db.write() as conn:
        await repo.rename(conn, session.session_id, "renamed elsewhere", clock())
    # With no time to live, every authentication reads the database again.
    assert (await service.authenticate(token)).username == "renamed elsewhere"
