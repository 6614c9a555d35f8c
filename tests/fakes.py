"""Test doubles shared by the suites. ``ManualScheduler`` is the scheduler seam with time that moves only
when a test says so: ``await scheduler.advance(seconds)``."""

from __future__ import annotations

import asyncio
import dataclasses
import heapq
import itertools
from collections.abc import Awaitable, Callable

from roomservice.scheduling import Callbacks, Timer, repeat


@dataclasses.dataclass(order=True, slots=True)
class _Due:
    when: float
    order: int
    callback: Callable[[], object] = dataclasses.field(compare=False)
    cancelled: bool = dataclasses.field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """A ``roomservice.scheduling.Scheduler`` on a fake clock.

    ``now()`` (and calling the scheduler, so it also serves as a ``clock=``) reads the fake time, which
    changes only in ``advance``. ``advance(seconds)`` runs every callback that falls due within the step,
    in time order (ties in the order they were asked for), with ``now()`` set to each one's due time,
    and lets what they start run before going on: a few turns of the loop, and up to ``settle_timeout``
    real seconds for tasks the callbacks returned (a job that waits for real I/O, such as a database,
    finishes inside the step). Callbacks asked for during the step that fall due within it run in it too.
    """

    def __init__(self, start: float = 1_800_000_000.0, *, settle_timeout: float = 2.0) -> None:
        self._now = start
        self._due: list[_Due] = []
        self._order = itertools.count()
        self._callbacks = Callbacks()
        self._closed = False
        self.settle_timeout = settle_timeout
        self._asked = asyncio.Event()

    def __call__(self) -> float:
        return self._now

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        return self.call_at(self._now + max(0.0, delay), callback)

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        due = _Due(when, next(self._order), callback, cancelled=self._closed)
        if not self._closed:
            heapq.heappush(self._due, due)
            self._asked.set()
        return due

    def every(self, interval: float, job: Callable[[], Awaitable[object]], what: str) -> Timer:
        return repeat(self, interval, job, what)

    def pending(self) -> list[float]:
        """Due times of the callbacks still waiting, soonest first."""
        return sorted(d.when for d in self._due if not d.cancelled)

    async def wait_pending(self, count: int) -> None:
        """Return once at least ``count`` callbacks wait: a server may set a timer only after awaits of
        its own (a database read), later than the frame a test saw."""
        while len(self.pending()) < count:
            self._asked.clear()
            await self._asked.wait()

    async def advance(self, seconds: float = 0.0) -> None:
        """Move time forward by ``seconds`` (>= 0), running what falls due on the way."""
        if seconds < 0:
            raise ValueError("time does not go back")
        target = self._now + seconds
        await self.settle()
        while self._due and self._due[0].when <= target:
            due = heapq.heappop(self._due)
            if due.cancelled:
                continue
            self._now = max(self._now, due.when)
            due.cancelled = True  # ran: a later cancel() is a no-op
            self._callbacks.run(due.callback)
            await self.settle()
        self._now = max(self._now, target)
        await self.settle()

    async def settle(self) -> None:
        """Let the loop run what callbacks started, without moving time."""
        for _ in range(5):
            await asyncio.sleep(0)
        pending = self._callbacks.pending()
        while pending:
            done, _ = await asyncio.wait(pending, timeout=self.settle_timeout)
            if not done:
                break
            for _ in range(5):
                await asyncio.sleep(0)
            pending = self._callbacks.pending()

    async def close(self) -> None:
        self._closed = True
        for due in self._due:
            due.cancel()
        self._due.clear()
        await self._callbacks.close()
