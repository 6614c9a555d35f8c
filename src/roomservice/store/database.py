"""The engine and its transactions, on SQLite (default, embedded) or PostgreSQL.

Every room operation runs in one write transaction. On PostgreSQL the room row is locked with
``SELECT ... FOR UPDATE``; on SQLite writes take the database lock up front (``BEGIN IMMEDIATE``) and are
also serialized in-process, so concurrent operations on one room are applied one at a time either way.

On PostgreSQL a pooled connection is handed out without a round trip to test it first (no
``pool_pre_ping``, which costs BEGIN, a query and ROLLBACK on every checkout): a connection whose socket
the server closed (a restart, a terminated backend) is known closed locally and replaced on checkout,
and the hottest operations run as one statement each on :meth:`Database.direct` (``store.oneshot``).

On SQLite, statements run on the event loop's thread (:class:`_InlineSQLite`) rather than being handed
to a driver thread one at a time: a room operation's statements take microseconds each in WAL mode with
``synchronous=NORMAL`` (a commit appends to the log without an fsync), far less than a thread hand-off,
which under load waits for the GIL. Nothing waits on a lock on the loop: in-process writers queue on an
``asyncio.Lock``, and a write lock held by another process is retried with ``asyncio.sleep``. Nor does a
WAL checkpoint run there (see :meth:`Database.checkpoint`), nor a large COMMIT (``write(commit_on_thread=
True)``): both go to the writer's thread, where sqlite3 holds no GIL while SQLite works.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import asyncpg
import msgspec
from sqlalchemy import event, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from roomservice.store.models import Meta

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


#: Seconds a statement on the loop may wait for a lock another process holds (see ``Database.write``).
_INLINE_BUSY_MS = 20
#: How long a write keeps retrying while another process holds SQLite's write lock.
_WRITE_LOCK_WAIT = 30.0


class _InlineSQLite(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread (the event loop's).

    aiosqlite hands every call (execute, fetch, close, commit) to its worker thread and awaits a
    future; SQLAlchemy's adapter makes several such calls per statement. Here the calls run directly;
    the worker thread only opens and finally closes the connection."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself, for statements run without SQLAlchemy (``store.sql``)."""
        return self._conn


def _inline_creator(database: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    async def connect() -> aiosqlite.Connection:
        conn = _InlineSQLite(
            partial(sqlite3.connect, database, timeout=_INLINE_BUSY_MS / 1000, check_same_thread=False),
            iter_chunk_size=64,
        )
        conn._thread.daemon = True
        return await conn

    return connect


def sqlite_of(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The sqlite3 connection under ``conn`` (None on PostgreSQL)."""
    driver = conn.sync_connection.connection.driver_connection if conn.sync_connection else None
    return driver.sqlite if isinstance(driver, _InlineSQLite) else None


_json = msgspec.json.Encoder()


def _json_text(value: Any) -> str:
    return _json.encode(value).decode()


def _sqlite_path(url: URL) -> str:
    """A SQLite URL's database file, or ``:memory:``."""
    return url.database or ":memory:"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # JSON columns (game states, action payloads, chat) go through msgspec: several times faster than
    # the standard library's json, on the journal's path.
    kwargs.setdefault("json_serializer", _json_text)
    kwargs.setdefault("json_deserializer", msgspec.json.decode)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _postgres_engine(url, **kwargs)
    database = _sqlite_path(parsed)
    on_file = database != ":memory:"
    if on_file:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, async_creator=_inline_creator(database), **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so ``_on_begin`` decides how each one starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_INLINE_BUSY_MS}")
        if on_file:  # the log is copied back by Database.checkpoint, off the loop
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        raw = conn.connection.driver_connection.sqlite
        if raw.in_transaction:
            return  # begun by ``Database`` (read or write), which SQLAlchemy now joins
        raw.execute("BEGIN")

    return engine


#: PostgreSQL connections a process keeps open; as many more are opened while busier and closed once
#: back. A connection opened and closed per request under load costs more than the request.
DEFAULT_POOL_SIZE = 20


def _postgres_engine(url: str, **kwargs: Any) -> AsyncEngine:
    kwargs.setdefault("pool_size", DEFAULT_POOL_SIZE)
    kwargs.setdefault("max_overflow", kwargs["pool_size"])
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # No round trip: asyncpg knows when the server closed the socket. The pool then opens a
        # fresh connection instead (it retries a checkout that raises DisconnectionError).
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the server closed this connection")

    return engine


def _sqlite_call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call sqlite3, raising its errors as SQLAlchemy's (as statements run through it do)."""
    try:
        return fn(*args)
    except sqlite3.Error as error:
        what = str(args[0]) if args else fn.__name__
        raise DBAPIError.instance(what, None, error, sqlite3.Error) from error


async def _begin_immediate(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting (without blocking the loop) while another process writes."""
    deadline = asyncio.get_running_loop().time() + _WRITE_LOCK_WAIT
    delay = 0.001
    while True:
        try:
            _sqlite_call(raw.execute, "BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            message = str(exc.orig)
            locked = "database is locked" in message or "database is busy" in message
            if not locked or asyncio.get_running_loop().time() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


#: Seconds between two checkpoints of SQLite's write-ahead log (:meth:`Database.checkpoint`): the log
#: holds about this long's writes.
CHECKPOINT_EVERY = 1.0


def _checkpoint(raw: sqlite3.Connection) -> tuple[int, int, int]:
    busy, frames, copied = _sqlite_call(raw.execute, "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(frames), int(copied)


async def _on_thread(thread: ThreadPoolExecutor, call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` on ``thread``. Cancelled while it runs, it still waits for the call to end: the
    connection it uses is neither used nor handed on before then."""
    done = asyncio.get_running_loop().run_in_executor(thread, call, *args)
    try:
        return await asyncio.shield(done)
    except BaseException:
        if not done.done():
            await asyncio.wait({done})
        raise


#: SQLite read connections kept open between transactions (more are opened while busier).
_IDLE_READERS = 4
#: PostgreSQL connections kept out of the pool between :meth:`Database.direct` uses.
_IDLE_DIRECT = 8


class Database:
    """Owns the engine; hands out read and write transactions.

    On SQLite the connections stay open between transactions instead of going back to the pool: the
    one connection every write uses (writes are serialized anyway), and a few idle readers. A pool
    checkout and its reset cost more than a room operation's statements."""

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE, **engine_kwargs: Any) -> None:
        """``pool_size``: PostgreSQL connections kept open (as many more while busier)."""
        self.url = url
        self.sqlite = is_sqlite(url)
        if not self.sqlite:
            engine_kwargs.setdefault("pool_size", pool_size)
        self.engine = create_engine(url, **engine_kwargs)
        # One writer at a time per process on SQLite: cheaper than SQLite's busy-wait sleeps.
        self._write_lock = asyncio.Lock() if self.sqlite else None
        self._writer: AsyncConnection | None = None
        self._readers: list[AsyncConnection] = []
        #: SQLite: the thread that runs the writer's COMMITs asked to (``write(commit_on_thread=True)``)
        #: and its checkpoints, made on first use.
        self._thread: ThreadPoolExecutor | None = None
        #: SQLite on a file (not in memory): its write-ahead log is checkpointed (:meth:`checkpoint`).
        self._on_file = self.sqlite and _sqlite_path(self.engine.url) != ":memory:"
        #: SQLite on a file: the task that checkpoints the log every CHECKPOINT_EVERY seconds, started
        #: with the first write.
        self._checkpoints: asyncio.Task[None] | None = None
        self._direct: list[tuple[AsyncConnection, asyncpg.Connection]] = []

    @asynccontextmanager
    async def write(self, *, commit_on_thread: bool = False) -> AsyncIterator[AsyncConnection]:
        """A transaction that may write; commits on success, rolls back on any exception.

        ``commit_on_thread`` (SQLite): the COMMIT runs on a thread while the loop goes on, the write
        lock held until it is done. For a transaction of many pages, the journal's: its COMMIT writes
        them to the log, a millisecond and more, during which sqlite3 holds no GIL; a room operation's
        COMMIT takes less than the hand-off."""
        if self._write_lock is None:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        async with self._write_lock:
            if self._writer is None:
                self._writer = await self.engine.connect()
            if self._checkpoints is None and self._on_file:
                self._checkpoints = asyncio.get_running_loop().create_task(self._checkpoint_every())
            conn = self._writer
            try:
                async with self._sqlite_transaction(
                    conn, write=True, on=self._writer_thread() if commit_on_thread else None
                ):
                    yield conn
            finally:
                if conn.invalidated or conn.in_transaction():
                    self._writer = None
                    await conn.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        if not self.sqlite:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        conn = self._readers.pop() if self._readers else await self.engine.connect()
        try:
            async with self._sqlite_transaction(conn, write=False):
                yield conn
        finally:
            if conn.invalidated or conn.in_transaction() or len(self._readers) >= _IDLE_READERS:
                await conn.close()
            else:
                self._readers.append(conn)

    @staticmethod
    @asynccontextmanager
    async def _sqlite_transaction(
        conn: AsyncConnection, *, write: bool, on: ThreadPoolExecutor | None = None
    ) -> AsyncIterator[None]:
        """BEGIN and COMMIT sent to sqlite3 directly (the COMMIT on the thread ``on``, if given).
        SQLAlchemy joins the transaction only if a statement goes through it (``_on_begin`` then sees
        it already open), and then ends it: after a COMMIT of sqlite3's own, its commit changes
        nothing more."""
        raw = sqlite_of(conn)
        assert raw is not None
        if write:
            await _begin_immediate(raw)
        else:
            _sqlite_call(raw.execute, "BEGIN")
        try:
            yield
        except BaseException:
            if conn.in_transaction():
                await conn.rollback()
            elif raw.in_transaction:
                _sqlite_call(raw.rollback)
            raise
        if on is not None and raw.in_transaction:
            try:
                # Cancelled, it may still have committed, as a cancelled write may anywhere.
                await _on_thread(on, _sqlite_call, raw.commit)
            except BaseException:
                if raw.in_transaction:  # the COMMIT failed: nothing of it is kept
                    _sqlite_call(raw.rollback)
                if conn.in_transaction():
                    await conn.rollback()
                raise
        if conn.in_transaction():
            await conn.commit()
        elif raw.in_transaction:
            _sqlite_call(raw.commit)

    @asynccontextmanager
    async def direct(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled asyncpg connection outside any transaction (PostgreSQL only): each statement run
        on it commits on its own, in one round trip, and raises asyncpg's exceptions.

        A few such connections stay checked out between uses (a pool checkout and checkin cost about
        as much as the statement); one whose statement failed goes back to the pool, which replaces
        it if the server closed it."""
        if self.sqlite:
            raise TypeError("Database.direct is for PostgreSQL")
        while self._direct:
            conn, raw = self._direct.pop()
            if not raw.is_closed():
                break
            await conn.close()  # the server closed it while it was idle here
        else:
            conn = await self.engine.connect()
            raw = (await conn.get_raw_connection()).driver_connection
        try:
            yield raw
        except BaseException:
            await conn.close()
            raise
        if raw.is_closed() or len(self._direct) >= _IDLE_DIRECT:
            await conn.close()
        else:
            self._direct.append((conn, raw))

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

    def _writer_thread(self) -> ThreadPoolExecutor:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        return self._thread

    async def checkpoint(self) -> tuple[int, int, int] | None:
        """SQLite on a file: copy the write-ahead log back into the database, on the writer's thread
        and under the write lock, and return SQLite's ``(busy, frames in the log, frames copied)``;
        None on PostgreSQL or in memory. Done every :data:`CHECKPOINT_EVERY` seconds once written to.

        The loop's connections run with autocheckpoint off: else the COMMIT that takes the log past
        1,000 pages (4 MB) copies it and fsyncs the log and the database on the loop, 20 ms and more of
        every room's ticks. Under the write lock, no COMMIT comes in while it copies (in-process
        writers wait for the lock, not the loop), so it copies the whole log and the next write starts
        the log over; a checkpoint beside a steady writer would leave it growing."""
        if not self._on_file:
            return None
        assert self._write_lock is not None
        async with self._write_lock:
            if self._writer is None:
                self._writer = await self.engine.connect()
            raw = sqlite_of(self._writer)
            assert raw is not None
            return await _on_thread(self._writer_thread(), _checkpoint, raw)

    async def _checkpoint_every(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY)
            try:
                await self.checkpoint()
            except Exception:
                log.exception("checkpointing the SQLite log failed; the next pass tries again")

    async def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            await asyncio.gather(self._checkpoints, return_exceptions=True)
            self._checkpoints = None
        if self._thread is not None:  # done with the writer before it closes
            await asyncio.to_thread(self._thread.shutdown)
            self._thread = None
        held, self._readers = self._readers, []
        held.extend(conn for conn, _ in self._direct)
        self._direct = []
        if self._writer is not None:
            held.append(self._writer)
            self._writer = None
        for conn in held:
            await conn.close()
        await self.engine.dispose()
