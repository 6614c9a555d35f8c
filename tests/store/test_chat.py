"""Saved chat: each room keeps its newest lines, whatever else is written beside them."""

from __future__ import annotations

from roomservice.store import chat
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.store.migrate import upgrade


def line(room: str, seq: int) -> chat.ChatEntry:
    return chat.ChatEntry(room, seq, "s", "ann", f"line {seq}", "2026-11-21T00:00:00Z")


async def test_pruning_keeps_each_rooms_newest_lines(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    try:
        async with db.write() as conn:
            await chat.write(
                conn, [line("busy", n) for n in range(60)] + [line("quiet", n) for n in range(3)]
            )
            await chat.prune(conn, {"busy", "quiet"}, keep=50)
        async with db.read() as conn:
            busy = await chat.recent(conn, "busy", 100)
            quiet = await chat.recent(conn, "quiet", 100)
        assert [e.seq for e in busy] == list(range(10, 60))
        assert [e.text for e in quiet] == ["line 0", "line 1", "line 2"]
    finally:
        await db.close()


async def test_the_journal_prunes_when_it_closes(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    journal = Journal(db, chat_keep=5)
    try:
        for n in range(12):
            journal.write_later([line("r", n)])
        await journal.close()
        async with db.read() as conn:
            assert [e.seq for e in await chat.recent(conn, "r", 100)] == list(range(7, 12))
    finally:
        await db.close()
