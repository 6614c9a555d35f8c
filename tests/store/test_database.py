"""The store under the room operations: transactions on held SQLite connections, a write lock held
by another process, and statements run outside SQLAlchemy converting values as SQLAlchemy does."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError

from roomservice.store.database import Database, sqlite_of
from roomservice.store.migrate import upgrade
from roomservice.store.models import RoomRow
from roomservice.store.sql import Statement
from tests.store.rows import insert_room


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


_ROOM = Statement(
    select(RoomRow.id, RoomRow.private, RoomRow.config, RoomRow.game_started_at).where(
        RoomRow.id == bindparam("room_id")
    )
)


async def test_statement_values_match_sqlalchemy(db: Database) -> None:
    await insert_room(db, "r1", "AAAAAA")
    async with db.read() as conn:
        fast = await _ROOM.first(conn, room_id="r1")
        slow = (await conn.execute(_ROOM.statement, {"room_id": "r1"})).one()
        missing = await _ROOM.first(conn, room_id="nope")
    assert fast == tuple(slow) == ("r1", True, {"max_players": 4, "nested": [1, 2]}, None)
    assert missing is None


async def test_statement_many_binds_what_sqlalchemy_binds(db: Database) -> None:
    for room_id, code in (("r1", "AAAAAA"), ("r2", "BBBBBB"), ("r3", "CCCCCC"), ("r4", "DDDDDD")):
        await insert_room(db, room_id, code)
    rooms = RoomRow.__table__
    change = Statement(
        update(rooms)
        .where(RoomRow.id == bindparam("room_id"))
        .values(config=bindparam("config"), last_activity=bindparam("at"))
    )
    one = Statement(update(rooms).values(player_count=bindparam("n")))  # a single parameter
    config = {"a": [1, 2.5, None, "é"], "b": {"c": True}}
    async with db.write() as conn:
        await change.many(
            conn, [{"room_id": "r1", "config": config, "at": 2}, {"room_id": "r2", "config": None, "at": 3.5}]
        )
        await conn.execute(
            change.statement,
            [{"room_id": "r3", "config": config, "at": 2}, {"room_id": "r4", "config": None, "at": 3.5}],
        )
        await one.many(conn, [{"n": 3}])
    async with db.read() as conn:
        rows = [
            tuple(row)
            for row in await conn.execute(
                text("SELECT CAST(config AS TEXT), last_activity, player_count FROM rooms ORDER BY id")
            )
        ]
    assert rows[0] == rows[2] and rows[1] == rows[3]
    assert [row[1:] for row in rows] == [(2.0, 3), (3.5, 3)] * 2


async def test_write_rolls_back_on_error_and_raises_sqlalchemy_errors(db: Database) -> None:
    await insert_room(db, "r1", "AAAAAA")
    with pytest.raises(IntegrityError):
        await insert_room(db, "r2", "AAAAAA")
    with pytest.raises(KeyError):
        async with db.write() as conn:
            await conn.execute(text("UPDATE rooms SET name = 'changed'"))
            raise KeyError
    async with db.read() as conn:
        names = (await conn.execute(text("SELECT id, name FROM rooms"))).all()
    assert [tuple(r) for r in names] == [("r1", "r")]
    # The connections are still usable after both failures.
    await insert_room(db, "r3", "BBBBBB")


async def test_sqlite_write_waits_for_another_process(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await upgrade(db)
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta (key, value) VALUES ('a', 'other')")
    loop = asyncio.get_running_loop()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    loop.call_later(0.3, lambda: other.execute("COMMIT"))
    try:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO meta (key, value) VALUES ('b', 'ours')"))
        assert ticks >= 5  # the loop kept running while the lock was held elsewhere
        async with db.read() as conn:
            rows = (await conn.execute(text("SELECT key FROM meta ORDER BY key"))).scalars().all()
        assert rows[:2] == ["a", "b"]
    finally:
        task.cancel()
        other.close()
        await db.close()


async def test_sqlite_log_is_copied_back_by_checkpoints_not_by_a_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await upgrade(db)
    try:
        # Well past SQLite's own limit of 1,000 pages, which would have copied the log on a COMMIT.
        for n in range(60):
            async with db.write() as conn:
                await conn.execute(
                    text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": f"k{n}", "v": "x" * 80_000}
                )
                raw = sqlite_of(conn)
                assert raw is not None and raw.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        wal = tmp_path / "c.db-wal"
        size = wal.stat().st_size
        assert size > 1000 * 4096
        busy, frames, copied = await db.checkpoint() or (1, 0, 0)
        assert busy == 0 and frames > 1000 and copied == frames
        # All of it copied: the next write starts the log over instead of growing it.
        for n in range(60, 70):
            async with db.write() as conn:
                await conn.execute(
                    text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": f"k{n}", "v": "x" * 80_000}
                )
        assert wal.stat().st_size == size
        busy, frames, copied = await db.checkpoint() or (1, 0, 0)
        assert busy == 0 and 0 < frames < 1000 and copied == frames
        async with db.read() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM meta WHERE key LIKE 'k%'")) == 70
    finally:
        await db.close()


async def test_sqlite_commit_on_thread_commits_off_the_loop_and_rolls_back_a_failed_commit(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    await upgrade(db)
    seen: list[tuple[str, int]] = []
    try:
        await insert_room(db, "r1", "AAAAAA")
        async with db.write(commit_on_thread=True) as conn:
            raw = sqlite_of(conn)
            assert raw is not None
            raw.set_trace_callback(lambda sql: seen.append((sql, threading.get_ident())))
            await conn.execute(text("UPDATE rooms SET name = 'changed'"))
        raw.set_trace_callback(None)
        commits = [thread for sql, thread in seen if sql == "COMMIT"]
        assert commits and threading.get_ident() not in commits
        # A COMMIT that fails (a foreign key checked only then) keeps nothing and raises.
        with pytest.raises(IntegrityError):
            async with db.write(commit_on_thread=True) as conn:
                await conn.execute(text("PRAGMA defer_foreign_keys = ON"))
                await conn.execute(text("UPDATE rooms SET name = 'lost'"))
                await conn.execute(
                    text(
                        "INSERT INTO game_actions (game_id, step, kind, ticks, at) "
                        "VALUES ('no-such-game', 1, 'action', 0, 1.0)"
                    )
                )
        async with db.read() as conn:
            assert (await conn.execute(text("SELECT name FROM rooms"))).scalars().all() == ["changed"]
        await insert_room(db, "r2", "BBBBBB")  # the writer is usable again
    finally:
        await db.close()
