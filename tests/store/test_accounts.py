"""The accounts table on either backend: sessions from before the upgrade stay guests, and the unique
index on ``lower(username)`` refuses a name taken in another case."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from roomservice.model import Account, Session
from roomservice.store import accounts, sessions
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade


async def test_old_sessions_stay_guests_and_names_are_unique_in_any_case(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db, "0007")
        async with db.write() as conn:
            await conn.execute(
                text("INSERT INTO sessions (id, username, created_at, last_seen) VALUES ('s1', 'old', 1, 1)")
            )
        await upgrade(db)
        async with db.read() as conn:
            assert await sessions.get_session(conn, "s1") == Session("s1", "old", 1.0)
        async with db.write() as conn:
            await accounts.insert_account(conn, Account("a1", "Alice", 2.0), "hash")
            assert await accounts.attach_session(conn, "s1", "a1", "Alice")
            assert not await accounts.attach_session(conn, "s1", "a1", "Alice")
        with pytest.raises(IntegrityError):
            async with db.write() as conn:
                await accounts.insert_account(conn, Account("a2", "aLICE", 3.0), "hash")
        async with db.write() as conn:
            assert await sessions.get_session(conn, "s1") == Session("s1", "Alice", 1.0, "a1", "Alice")
            await sessions.revoke(conn, ["s1"], 5.0)
            assert await sessions.get_session(conn, "s1") is None
            assert await accounts.live_sessions(conn, "a1") == []
    finally:
        await db.close()
