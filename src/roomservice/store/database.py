"""The engine and its transactions, on SQLite (default, embedded) or PostgreSQL.

Every room operation runs in one write transaction. On PostgreSQL the room row is locked with
``SELECT ... FOR UPDATE``; on SQLite writes take the database lock up front (``BEGIN IMMEDIATE``) and are
also serialized in-process, so concurrent operations on one room are applied one at a time either way.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from roomservice.store.models import Meta

_WRITE = "roomservice_write"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so ``_on_begin`` decides how each one starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Owns the engine; hands out read and write transactions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self.engine = create_engine(url, **engine_kwargs)
        # One writer at a time per process on SQLite: cheaper than SQLite's busy-wait sleeps.
        self._write_lock = asyncio.Lock() if self.sqlite else None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; commits on success, rolls back on any exception."""
        async with self._write_lock or nullcontext(), self.engine.connect() as conn:
            if self.sqlite:
                await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def get_or_create_secret(self, key: str = "token_secret") -> str:
        """The token-signing secret shared by every node; generated and stored on first use."""
        async with self.write() as conn:
            insert = pg_insert if not self.sqlite else sqlite_insert
            await conn.execute(
                insert(Meta)
                .values(key=key, value=secrets.token_urlsafe(48))
                .on_conflict_do_nothing(index_elements=["key"])
            )
            value = (await conn.execute(select(Meta.value).where(Meta.key == key))).scalar_one()
        return str(value)

    async def close(self) -> None:
        await self.engine.dispose()
