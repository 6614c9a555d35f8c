"""The store under the room operations: transactions on held SQLite connections, a write lock held
by another process, and statements run outside SQLAlchemy converting values as SQLAlchemy does."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError

from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from roomservice.store.models import RoomRow
from roomservice.store.sql import Statement


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


async def _insert_room(db: Database, room_id: str, code: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            RoomRow.__table__.insert().values(  # type: ignore[attr-defined]
                id=room_id,
                code=code,
                name="r",
                game="cabo",
                private=True,
                config={"max_players": 4, "nested": [1, 2]},
                capacity=4,
                idle_timeout=600,
                player_count=0,
                state="WAITING",
                creator_session_id="s",
                created_at=1.0,
                last_activity=1.0,
            )
        )


async def test_statement_values_match_sqlalchemy(db: Database) -> None:
    await _insert_room(db, "r1", "AAAAAA")
    async with db.read() as conn:
        fast = await _ROOM.first(conn, room_id="r1")
        slow = (await conn.execute(_ROOM.statement, {"room_id": "r1"})).one()
        missing = await _ROOM.first(conn, room_id="nope")
    assert fast == tuple(slow) == ("r1", True, {"max_players": 4, "nested": [1, 2]}, None)
    assert missing is None


async def test_statement_many_binds_what_sqlalchemy_binds(db: Database) -> None:
    for room_id, code in (("r1", "AAAAAA"), ("r2", "BBBBBB"), ("r3", "CCCCCC"), ("r4", "DDDDDD")):
        await _insert_room(db, room_id, code)
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
    await _insert_room(db, "r1", "AAAAAA")
    with pytest.raises(IntegrityError):
        await _insert_room(db, "r2", "AAAAAA")
    with pytest.raises(KeyError):
        async with db.write() as conn:
            await conn.execute(text("UPDATE rooms SET name = 'changed'"))
            raise KeyError
    async with db.read() as conn:
        names = (await conn.execute(text("SELECT id, name FROM rooms"))).all()
    assert [tuple(r) for r in names] == [("r1", "r")]
    # The connections are still usable after both failures.
    await _insert_room(db, "r3", "BBBBBB")


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
