"""Group commit for game and chat writes.

Every room's runner hands its accepted steps here and waits until they are durable before anyone sees
them; chat lines are queued without waiting. Entries from all rooms that arrive while a transaction is
being written go together in the next one, so on SQLite (one writer at a time) an action never queues
behind a separate disk write of another room: it shares that room's commit instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from roomservice.store import chat, games
from roomservice.store.database import Database

log = logging.getLogger(__name__)

Entry = games.Entry | chat.ChatEntry
_Pending = tuple[Sequence[Entry], asyncio.Future[None] | None]

#: Seconds between two prunings of old chat lines: trimming on every write would cost more than the
#: writes themselves in a busy room.
PRUNE_EVERY = 5.0


class Journal:
    def __init__(self, db: Database, chat_keep: int = 50) -> None:
        self.db = db
        self.chat_keep = chat_keep
        self._unpruned: set[str] = set()
        self._pruned_at = time.monotonic()
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def _ensure_writer(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._writer())

    async def write(self, entries: Sequence[Entry]) -> None:
        """Return once ``entries`` are committed; raise if the transaction failed."""
        if self._closed:
            raise RuntimeError("the journal is closed")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entries, future))
        self._wake.set()
        self._ensure_writer()
        await future

    def write_later(self, entries: Sequence[Entry]) -> None:
        """Queue entries nobody waits for (chat, periodic snapshots of real-time games)."""
        if self._closed:
            return
        self._pending.append((entries, None))
        self._wake.set()
        self._ensure_writer()

    async def _writer(self) -> None:
        while not (self._closed and not self._pending):
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if batch and not await self._commit(batch) and len(batch) > 1:
                # One bad entry must not sink the other rooms' writes: retry them one by one.
                for one in batch:
                    await self._commit([one])

    async def _commit(self, batch: list[_Pending]) -> bool:
        try:
            every = [entry for entries, _ in batch for entry in entries]
            lines = [e for e in every if isinstance(e, chat.ChatEntry)]
            self._unpruned.update(line.room_id for line in lines)
            prune = self._closed or time.monotonic() - self._pruned_at >= PRUNE_EVERY
            async with self.db.write() as conn:
                await games.write(conn, [e for e in every if not isinstance(e, chat.ChatEntry)])
                await chat.write(conn, lines)
                if prune:
                    await chat.prune(conn, self._unpruned, self.chat_keep)
            if prune:
                self._unpruned.clear()
                self._pruned_at = time.monotonic()
        except Exception as exc:
            log.exception("could not write %d game entries", sum(len(entries) for entries, _ in batch))
            if len(batch) == 1:
                future = batch[0][1]
                if future is not None and not future.done():
                    future.set_exception(exc)
            return False
        for _, future in batch:
            if future is not None and not future.done():
                future.set_result(None)
        return True

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
