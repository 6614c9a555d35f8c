"""The action log of a real-time game: the inputs of one tick are one row, read back as one step each,
and a write nobody waits for tells its caller when it did not go in. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from roomservice.store import games as repo
from roomservice.store.database import Database
from roomservice.store.journal import THREAD_COMMIT_ENTRIES, Journal
from roomservice.store.migrate import upgrade
from roomservice.store.models import RoomRow
from tests.store.rows import insert_room


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


async def _game(db: Database) -> str:
    game_id = str(uuid.uuid4())
    record = repo.GameRecord(game_id, "room-1", 1, "arena", 7, {}, ["a", "b", "c"], False, 1.0)
    async with db.write() as conn:
        await repo.insert_game(conn, record)
    return game_id


def _input(seq: int) -> dict[str, object]:
    return {"seq": seq, "tick": seq, "move": [1, 0], "aim": 0.5, "fire": seq % 2 == 0}


async def test_a_ticks_inputs_are_one_row_and_come_back_one_step_each(db: Database) -> None:
    game_id = await _game(db)
    entries: list[repo.Entry] = [
        repo.InputsEntry(
            game_id, "room-1", 3, 0, [("a", _input(1), 2.0), ("b", _input(1), 2.1), ("c", _input(1), 2.2)]
        ),
        repo.ActionEntry(game_id, "room-1", 4, "leave", "c", "left", 1, 2.3),
        repo.InputsEntry(game_id, "room-1", 6, 2, [("a", _input(2), 2.4), ("b", _input(2), 2.5)]),
    ]
    await Journal(db).write(entries)
    async with db.read() as conn:
        steps = await repo.actions_after(conn, game_id, 0)
        rows = await conn.scalar(select(func.count()).select_from(repo.actions))
        later = await repo.actions_after(conn, game_id, 5)
    assert rows == 3
    assert [(s.step, s.kind, s.player, s.ticks, s.at) for s in steps] == [
        (1, "action", "a", 0, 2.0),
        (2, "action", "b", 0, 2.1),
        (3, "action", "c", 0, 2.2),
        (4, "leave", "c", 1, 2.3),
        (5, "action", "a", 2, 2.4),
        (6, "action", "b", 2, 2.5),
    ]
    assert [s.payload for s in steps if s.kind == "action"] == [_input(1)] * 3 + [_input(2)] * 2
    assert [s.step for s in later] == [6]  # after a snapshot at step 5: only what follows it


async def test_a_write_nobody_waits_for_tells_its_caller_when_it_failed(db: Database) -> None:
    game_id = await _game(db)
    journal = Journal(db)
    failed: list[BaseException] = []
    told = asyncio.Event()

    def fail(exc: BaseException) -> None:
        failed.append(exc)
        told.set()

    first = repo.InputsEntry(game_id, "room-1", 1, 0, [("a", _input(1), 2.0)])
    journal.write_later([first], None, fail)
    journal.write_later(
        [repo.InputsEntry(game_id, "room-1", 2, 1, [("b", _input(1), 2.1)])], None, failed.append
    )
    await journal.write([])  # everything queued before it is through
    assert failed == []
    journal.write_later([first], None, fail)  # the same step again: refused by the database
    await asyncio.wait_for(told.wait(), 5)
    assert len(failed) == 1
    await journal.close()


async def test_writes_nobody_waits_for_share_a_transaction_unless_a_result_or_a_waited_write_comes(
    db: Database,
) -> None:
    game_id = await _game(db)
    journal = Journal(db, later_delay=30)  # longer than the test: only something else writes them
    for n in range(1, 4):  # three ticks' inputs within the delay: one transaction later
        journal.write_later([repo.InputsEntry(game_id, "room-1", n, n - 1, [("a", _input(n), 2.0 + n)])])
    await asyncio.sleep(0.05)
    async with db.read() as conn:
        assert await repo.actions_after(conn, game_id, 0) == []  # not yet
    # A waited-for write takes the held entries along, in order, at once.
    await journal.write([repo.ActionEntry(game_id, "room-1", 4, "leave", "c", "left", 3, 5.5)])
    async with db.read() as conn:
        assert [s.step for s in await repo.actions_after(conn, game_id, 0)] == [1, 2, 3, 4]
    # A game's result does not wait either.
    journal.write_later([repo.FinishEntry(game_id, 6.0, {"winners": ["a"]})])
    for _ in range(100):
        async with db.read() as conn:
            record = await repo.get_game(conn, game_id)
        if record is not None and record.result is not None:
            break
        await asyncio.sleep(0.05)
    assert record is not None and record.result == {"winners": ["a"]}
    await journal.close()


async def _last_activity(db: Database, room_id: str) -> float:
    async with db.read() as conn:
        value = await conn.scalar(select(RoomRow.last_activity).where(RoomRow.id == room_id))
    assert value is not None
    return float(value)


async def test_a_ticking_rooms_last_activity_is_written_at_most_once_a_second(db: Database) -> None:
    game_id = await _game(db)
    await insert_room(db, "room-1", "ROOM01", "arena")
    journal = Journal(db)

    async def inputs(step: int, at: float) -> float:
        await journal.write([repo.InputsEntry(game_id, "room-1", step, step, [("a", _input(step), at)])])
        return await _last_activity(db, "room-1")

    assert await inputs(1, 10.0) == 10.0
    assert await inputs(2, 10.5) == 10.0  # within TOUCH_EVERY of the last write: left alone
    # Any other step writes it at once, as a turn-based game's does.
    await journal.write([repo.ActionEntry(game_id, "room-1", 3, "leave", "c", "left", 3, 10.6)])
    assert await _last_activity(db, "room-1") == 10.6
    assert await inputs(4, 11.5) == 10.6
    assert await inputs(5, 10.6 + repo.TOUCH_EVERY) == 10.6 + repo.TOUCH_EVERY
    async with db.read() as conn:
        assert [s.step for s in await repo.actions_after(conn, game_id, 0)] == [1, 2, 3, 4, 5]
    await journal.close()


async def test_a_large_batch_commits_on_the_databases_thread_and_reads_back_whole(db: Database) -> None:
    game_id = await _game(db)
    journal = Journal(db)
    count = THREAD_COMMIT_ENTRIES + 8
    entries: list[repo.Entry] = [
        repo.InputsEntry(game_id, "room-1", n, n, [("a", _input(n), 2.0 + n)]) for n in range(1, count + 1)
    ]
    await journal.write(entries)
    async with db.read() as conn:
        steps = await repo.actions_after(conn, game_id, 0)
    assert [(s.step, s.ticks, s.payload) for s in steps] == [(n, n, _input(n)) for n in range(1, count + 1)]
    if db.sqlite:
        assert any(t.name.startswith("sqlite-writer") for t in threading.enumerate())
    await journal.close()
