"""The session repository: a saved session reads back as it was saved, and a rename is kept."""

from __future__ import annotations

from roomservice.model import Session
from roomservice.store import sessions
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade


async def test_insert_get_rename(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    try:
        async with db.write() as conn:
            await sessions.insert_session(conn, Session("s-1", "ann", 1000.5))
        async with db.read() as conn:
            assert await sessions.get_session(conn, "s-1") == Session("s-1", "ann", 1000.5)
            assert await sessions.get_session(conn, "nobody") is None
        async with db.write() as conn:
            await sessions.rename(conn, "s-1", "Ann B", 2000.0)
        async with db.read() as conn:
            assert await sessions.get_session(conn, "s-1") == Session("s-1", "Ann B", 1000.5)
    finally:
        await db.close()
