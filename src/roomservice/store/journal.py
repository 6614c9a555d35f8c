"""Group commit for game writes.

Every room's runner hands its accepted steps here and waits until they are durable before anyone sees
them. Entries from all rooms that arrive while a transaction is
being written go together in the next one, so on SQLite (one writer at a time) an action never queues
behind a separate disk write of another room: it shares that room's commit instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from roomservice.stats import Stats
from roomservice.store import games
from roomservice.store.database import Database

log = logging.getLogger(__name__)

Entry = games.Entry
_Pending = tuple[Sequence[Entry], asyncio.Future[None] | None]


class Journal:
    def __init__(self, db: Database, stats: Stats | None = None) -> None:
        self.db = db
        #: Times each transaction and counts its entries, when metrics are on.
        self.stats = stats
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
        """Queue entries nobody waits for (periodic snapshots of real-time games)."""
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
        entries = [entry for pending, _ in batch for entry in pending]
        start = time.perf_counter()
        try:
            async with self.db.write() as conn:
                await games.write(conn, entries)
        except Exception as exc:
            log.exception("could not write %d game entries", len(entries))
            if len(batch) == 1:
                future = batch[0][1]
                if future is not None and not future.done():
                    future.set_exception(exc)
            return False
        if self.stats is not None:
            self.stats.journal_commit.observe(time.perf_counter() - start)
            self.stats.journal_batch.observe(len(entries))
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
