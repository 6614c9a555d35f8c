"""What a crash does to chat: lines are saved by a flush about once a second, so SIGKILL keeps every line
saved by the last flush and loses only the lines broadcast after it; a graceful stop loses nothing
(docs/protocol.md, "What survives a crash")."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from roomservice.client import Chat, Client, RoomState
from roomservice.services import ACTIVITY_FLUSH
from roomservice.store import chat
from roomservice.store.database import Database
from tests.engine.test_restart import Process


async def _saved(database_url: str, room_id: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.read() as conn:
            return [line["text"] for line in await chat.load(conn, room_id)]
    finally:
        await db.close()


@pytest.mark.slow
async def test_sigkill_keeps_flushed_chat_and_loses_only_what_came_after(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    process = Process(database_url, tmp_path)
    await process.start()
    try:
        async with Client(process.url) as alice:
            await alice.create_session("alice")
            room = await alice.create_room("talk", "tictactoe")
            sock = await alice.connect()
            await sock.wait_for(RoomState)
            flushed = [f"flushed {n}" for n in range(3)]
            # The flush that saves the last line starts after the line is sent, and after the last look
            # at the database that did not find it; the next flush starts ACTIVITY_FLUSH after it ended.
            not_yet = 0.0
            for text in flushed:
                not_yet = time.monotonic()
                await sock.chat(text)
                await sock.wait_for(Chat, lambda e, text=text: e.text == text)
            for _ in range(200):  # a bounded poll: the flush comes within about a second
                looked = time.monotonic()
                if await _saved(database_url, room.room_id) == flushed:
                    break
                not_yet = looked
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the chat was never saved")

            after = [f"after {n}" for n in range(2)]
            for text in after:
                await sock.chat(text)
                await sock.wait_for(Chat, lambda e, text=text: e.text == text)
            await sock.close()
            killed_at = time.monotonic()
            process.kill()

            durable = await _saved(database_url, room.room_id)
            sent = flushed + after
            assert durable[: len(flushed)] == flushed
            assert durable == sent[: len(durable)]  # only a tail is ever lost, never a line in between
            if killed_at < not_yet + ACTIVITY_FLUSH - 0.05:
                # No flush after the one that saved ``flushed`` could have started: the rest is lost.
                assert durable == flushed

            await process.start()
            again = await alice.connect()
            state = await again.wait_for(RoomState)
            assert [line.text for line in state.chat] == durable

            # A graceful stop saves what the last flush did not.
            await again.chat("last words")
            await again.wait_for(Chat, lambda e: e.text == "last words")
            await again.close()
            process.stop()
            assert await _saved(database_url, room.room_id) == [*durable, "last words"]
    finally:
        process.stop()
