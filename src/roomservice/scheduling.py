"""One clock and scheduler for every timer (grace, resume windows, turn timers, expiry)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from roomservice.types import Clock, wall_clock

log = logging.getLogger(__name__)


class Timer(Protocol):
    def cancel(self) -> object: ...


class Scheduler(Protocol):
    def now(self) -> float: ...
    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer: ...
    def call_at(self, when: float, callback: Callable[[], object]) -> Timer: ...
    def every(self, interval: float, job: Callable[[], Awaitable[object]], what: str) -> Timer: ...


class LoopScheduler:
    def __init__(self, clock: Clock = wall_clock) -> None:
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    def now(self) -> float:
        return self.clock()

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        return self.call_later(when - self.clock(), callback)

    def every(self, interval: float, job: Callable[[], Awaitable[object]], what: str) -> Timer:
        async def run() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await job()
                except Exception:
                    log.exception("%s failed", what)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
