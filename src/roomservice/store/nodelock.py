"""One serving process per database, unless the nodes share rooms through Redis.

Two ``roomservice serve`` processes on one database would both restore and run the same games and split
every room's sockets between them. So a serving process holds a lock for its whole life:

- SQLite: an exclusive ``flock`` on ``<database file>.lock``, next to the database file;
- PostgreSQL: a session-level advisory lock, on a connection of its own kept open.

Both are let go by the operating system or the database server when the process ends, however it ends
(SIGKILL included), so a dead process never leaves a stale lock. ``roomservice migrate`` does not take it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

#: The advisory lock's key: "roomserv" as a big-endian 64-bit number. Advisory locks are per database,
#: so one key serves every database.
ADVISORY_KEY = int.from_bytes(b"roomserv", "big")

#: Seconds a busy lock is tried again before giving up: long enough for the database server to notice
#: that a process killed just now is gone, short enough to refuse at once to a person.
PATIENCE = 1.0


class NodeBusy(Exception):
    """Another live process serves this database. ``str()`` is a one-line message for a person."""


class NodeLock(Protocol):
    """A held lock; ``release`` lets it go (it is also let go when the process ends)."""

    async def release(self) -> None: ...


class _FileLock:
    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class _AdvisoryLock:
    def __init__(self, engine: AsyncEngine, conn: AsyncConnection) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = conn

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):  # a lost connection has let the lock go already
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
        with contextlib.suppress(Exception):
            await conn.close()
        await self._engine.dispose()


class NoLock:
    """No lock: an in-memory SQLite database (no other process can open it), or a node of several."""

    async def release(self) -> None:
        return None


def lock_path(database_url: str) -> Path | None:
    """The lock file of a SQLite database; None for an in-memory one."""
    database = make_url(database_url).database or ":memory:"
    if database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve().with_name(Path(database).name + ".lock")


async def _lock_file(database_url: str) -> NodeLock:
    path = lock_path(database_url)
    if path is None:
        return NoLock()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if loop.time() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                pid = f" (pid {holder})" if holder.isdigit() else ""
                raise NodeBusy(
                    f"another roomservice process{pid} is already serving the database {path.with_suffix('')}"
                ) from None
            await asyncio.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return _FileLock(fd)


async def _lock_postgres(database_url: str) -> NodeLock:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        # Autocommit: the lock belongs to the connection, and no transaction stays open beside it.
        conn = await (await engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while not await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}):
            if loop.time() >= deadline:
                await conn.close()
                shown = make_url(database_url).render_as_string(hide_password=True)
                raise NodeBusy(f"another roomservice process is already serving the database {shown}")
            await asyncio.sleep(0.05)
    except BaseException:
        await engine.dispose()
        raise
    return _AdvisoryLock(engine, conn)


async def acquire(database_url: str) -> NodeLock:
    """Take the database's serving lock; raise :class:`NodeBusy` when another process holds it."""
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        return await _lock_file(database_url)
    if backend == "postgresql":
        return await _lock_postgres(database_url)
    raise ValueError(f"no serving lock for {backend} databases: use SQLite or PostgreSQL")


@contextlib.asynccontextmanager
async def hold(database_url: str) -> AsyncIterator[None]:
    """Hold the database's serving lock for the duration of the block (see :func:`acquire`)."""
    lock = await acquire(database_url)
    try:
        yield
    finally:
        await lock.release()
