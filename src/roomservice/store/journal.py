"""Group commit for game writes.

Every room's runner hands its accepted steps here and waits until they are durable before anyone sees
them. Entries from all rooms that arrive while a transaction is
being written go together in the next one, so on SQLite (one writer at a time) an action never queues
behind a separate disk write of another room: it shares that room's commit instead.

Entries written with a fence (room id, lease token) go in only while no newer owner has claimed their
room: the batch reads its rooms' fences in its own transaction (``store.seq.stale``) and leaves out, and
refuses, the entries of rooms lost meanwhile. A batch without fences reads nothing more.

Entries nobody waits for (``write_later``: a real-time game's inputs, one entry per tick of every
room, and its periodic snapshots) are held up to :data:`LATER_DELAY` before their transaction starts,
unless a waited-for write or a game's result comes first: the ticks of all rooms then share a few
commits a second instead of taking one each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from roomservice.leases.base import Fenced
from roomservice.stats import Stats
from roomservice.store import games, seq
from roomservice.store.database import Database

log = logging.getLogger(__name__)

Entry = games.Entry
#: A room and the lease token its owner's writes carry (``store.seq``: fencing).
Fence = tuple[str, int]
Failed = Callable[[BaseException], object]
#: Queued entries, their fence, and who hears how their write went: a waiting caller's future, or the
#: callback of a write nobody waits for (told only of a failure), or nobody.
_Pending = tuple[Sequence[Entry], Fence | None, asyncio.Future[None] | Failed | None]
#: Seconds entries nobody waits for may wait for the next transaction (at most 20 commits a second).
LATER_DELAY = 0.05
#: Entries from which a batch is committed on the database's thread (``Database.write``): a smaller
#: COMMIT, a turn-based room's, takes less than the hand-off to the thread.
THREAD_COMMIT_ENTRIES = 32


def _tell(told: asyncio.Future[None] | Failed | None, exc: BaseException) -> None:
    """Tell whoever hears of a write that it failed with ``exc``."""
    if isinstance(told, asyncio.Future):
        if not told.done():
            told.set_exception(exc)
    elif told is not None:
        try:
            told(exc)
        except Exception:  # the writer goes on for every other room
            log.exception("a journal write's failure callback failed")


class Journal:
    def __init__(self, db: Database, stats: Stats | None = None, later_delay: float = LATER_DELAY) -> None:
        self.db = db
        self.later_delay = later_delay
        #: The wake-up of entries nobody waits for, while one is due.
        self._later: asyncio.TimerHandle | None = None
        #: Times each transaction and counts its entries, when metrics are on.
        self.stats = stats
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        #: When each room's last_activity was last written (``games.write``: a real-time room's ticks
        #: touch it at most once every ``games.TOUCH_EVERY`` seconds). Older notes change nothing and
        #: are dropped now and then.
        self._touched_at: dict[str, float] = {}
        self._touched_kept = 0

    def _ensure_writer(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._writer())

    async def write(self, entries: Sequence[Entry], fence: Fence | None = None) -> None:
        """Return once ``entries`` are committed; raise if the transaction failed. With ``fence``
        (room id, token) they are written only while no newer owner claimed the room, else
        ``leases.base.Fenced`` is raised and nothing of them is written."""
        if self._closed:
            raise RuntimeError("the journal is closed")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entries, fence, future))
        self._wake.set()
        self._ensure_writer()
        await future

    def write_later(
        self,
        entries: Sequence[Entry],
        fence: Fence | None = None,
        failed: Failed | None = None,
    ) -> None:
        """Queue entries nobody waits for (a real-time game's inputs and periodic snapshots); fenced as
        ``write`` (refused entries are logged). ``failed`` hears of a write that did not go in, called
        from the writer itself: a future per write would cost more than the write, twenty times a second
        a room."""
        if self._closed:
            if failed is not None:
                failed(RuntimeError("the journal is closed"))
            return
        self._pending.append((entries, fence, failed))
        if self._task is None:
            self._ensure_writer()
        # A loop, not any() over a generator: this runs for every tick of every real-time room.
        now = self.later_delay <= 0
        for entry in entries:
            if isinstance(entry, games.FinishEntry):
                now = True  # a game's result goes in at once, before its room is finished
                break
        if now:
            self._wake.set()
        elif self._later is None and not self._wake.is_set():
            self._later = asyncio.get_running_loop().call_later(self.later_delay, self._wake.set)

    async def _writer(self) -> None:
        while not (self._closed and not self._pending):
            await self._wake.wait()
            self._wake.clear()
            if self._later is not None:  # what it was due for goes in now
                self._later.cancel()
                self._later = None
            batch, self._pending = self._pending, []
            if batch and not await self._commit(batch) and len(batch) > 1:
                # One bad entry must not sink the other rooms' writes: retry them one by one.
                for one in batch:
                    await self._commit([one])

    async def _commit(self, batch: list[_Pending]) -> bool:
        refused: set[Fence] = set()
        start = time.perf_counter()
        written = 0
        try:
            # A COMMIT writes a page or more for every room in the batch: a large one's, off the loop.
            large = sum(len(entries) for entries, _, _ in batch) >= THREAD_COMMIT_ENTRIES
            async with self.db.write(commit_on_thread=large) as conn:
                wanted = {fence for _, fence, _ in batch if fence is not None}
                if wanted:
                    current = await seq.fences(conn, (room_id for room_id, _ in wanted))
                    refused = {f for f in wanted if current.get(f[0], 0) > f[1]}
                rows = [
                    entry
                    for pending, fence, _ in batch
                    if fence is None or fence not in refused
                    for entry in pending
                ]
                written = len(rows)
                touched, at = await games.write(conn, rows, self._touched_at)
        except Exception as exc:
            log.exception("could not write %d game entries", sum(len(entries) for entries, _, _ in batch))
            if len(batch) == 1:
                _tell(batch[0][2], exc)
            return False
        self._note_touched(touched, at)
        if self.stats is not None:
            self.stats.journal_commit.observe(time.perf_counter() - start)
            self.stats.journal_batch.observe(written)
        for _, fence, told in batch:
            if fence is not None and fence in refused:
                if told is None:
                    log.warning("room %s: a newer owner claimed it; entries not written", fence[0])
                else:
                    _tell(told, Fenced(fence[0]))
            elif isinstance(told, asyncio.Future) and not told.done():
                told.set_result(None)
        return True

    def _note_touched(self, rooms: set[str], at: float) -> None:
        touched_at = self._touched_at
        for room_id in rooms:
            touched_at[room_id] = at
        if len(touched_at) > 2 * self._touched_kept + 64:
            self._touched_at = {r: t for r, t in touched_at.items() if t + games.TOUCH_EVERY > at}
            self._touched_kept = len(self._touched_at)

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
