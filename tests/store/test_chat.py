"""Saved chat: one row per room, replaced whole, and gone with its room."""

from __future__ import annotations

import msgspec

from roomservice.store import chat
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade


def lines(*texts: str) -> list[dict[str, object]]:
    return [
        {"type": "chat", "seq": n, "from": "ann", "session_id": "s", "text": t, "at": "x"}
        for n, t in enumerate(texts)
    ]


async def test_saving_replaces_each_rooms_lines(database_url: str) -> None:
    db = Database(database_url)
    await upgrade(db)
    try:
        async with db.write() as conn:
            await chat.save(conn, {"a": lines("hi"), "b": lines("yo", "<b>x</b>")}, 1.0)
        async with db.write() as conn:
            await chat.save(conn, {"a": lines("hi", "again")}, 2.0)
        async with db.read() as conn:
            assert [line["text"] for line in await chat.load(conn, "a")] == ["hi", "again"]
            assert [line["text"] for line in await chat.load(conn, "b")] == ["yo", "<b>x</b>"]
            assert await chat.load(conn, "nobody") == []
        async with db.write() as conn:  # as the chat log hands them over: already encoded
            await chat.save(conn, {"c": msgspec.Raw(msgspec.json.encode(lines("raw", "é")))}, 3.0)
        async with db.read() as conn:
            assert await chat.load(conn, "c") == lines("raw", "é")
        async with db.write() as conn:
            await chat.forget(conn, "a")
        async with db.read() as conn:
            assert await chat.load(conn, "a") == []
    finally:
        await db.close()
