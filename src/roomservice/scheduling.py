"""The clock and scheduler seam: every timer of the server (grace timers, resume windows, turn timers,
room expiry, repeated upkeep) goes through one injected ``Scheduler``, so tests move time instead of
sleeping.

Contract (every implementation, checked by ``tests/scheduling``):

- Times are wall-clock seconds since the epoch (``now()``); delays and intervals are seconds.
- A callback runs once, on the event loop's thread, no earlier than its due time. Callbacks fall due in
  time order. A delay of zero or less, or a ``call_at`` in the past, runs it soon (on the next turn of
  the loop, or the next ``advance`` of a manual scheduler).
- A callback that returns an awaitable has it run as a task the scheduler keeps (so it is not
  garbage-collected) and cancels on ``close``. An exception from a callback or its awaitable is logged
  (logger ``roomservice.scheduling``) and goes no further.
- ``Timer.cancel()`` before the callback runs means it never runs; cancelling again, or after it ran,
  does nothing.
- ``every`` runs an async job repeatedly: first ``interval`` seconds after the call, then ``interval``
  seconds after each run ends, so runs never overlap. An exception is logged with ``what`` and the job
  runs again next time. ``cancel()`` stops further runs; a run under way finishes.
- After ``close`` nothing runs any more; timers asked for afterwards never run (shutdown paths may still
  ask for one).

Not thread-safe: call from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from roomservice.types import Clock, wall_clock

log = logging.getLogger("roomservice.scheduling")

__all__ = ["Callbacks", "Clock", "LoopScheduler", "Repeating", "Scheduler", "Timer", "repeat"]


class Timer(Protocol):
    def cancel(self) -> None:
        """Make sure the callback does not run (if it has not yet). Idempotent."""


class Scheduler(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch, as this scheduler sees them."""

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` once, ``delay`` seconds from now (soon when ``delay <= 0``)."""

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` once at ``when``, in ``now()`` seconds (soon when that is past)."""

    def every(self, interval: float, job: Callable[[], Awaitable[object]], what: str) -> Timer:
        """Run ``job`` every ``interval`` seconds (> 0, else ``ValueError``) until cancelled; ``what``
        names it in the log when a run raises."""


class Callbacks:
    """Runs due callbacks for a scheduler: logs what they raise, and keeps the tasks of the awaitables
    they return until those end, so ``close`` can cancel them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def run(self, callback: Callable[[], object]) -> None:
        try:
            result = callback()
        except Exception:
            log.exception("timer callback %r failed", callback)
            return
        if inspect.isawaitable(result):
            # The awaitable is the task itself: cancelled before its first turn, a coroutine is still
            # closed properly (no "never awaited" warning).
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._done, callback))

    def _done(self, callback: Callable[[], object], task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("timer callback %r failed", callback, exc_info=error)

    def pending(self) -> set[asyncio.Future[Any]]:
        """Tasks started by callbacks that have not ended yet."""
        return {task for task in self._tasks if not task.done()}

    async def close(self) -> None:
        """Cancel every task still running and wait for them to end (all but the caller's own)."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


class Repeating:
    """The timer ``every`` returns: each run is an ordinary one-shot timer of the same scheduler,
    asked for again when the previous run ends."""

    def __init__(
        self, scheduler: Scheduler, interval: float, job: Callable[[], Awaitable[object]], what: str
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        self._scheduler = scheduler
        self._interval = interval
        self._job = job
        self.what = what
        self.cancelled = False
        self._timer = scheduler.call_later(interval, self._fire)

    def _fire(self) -> Awaitable[None] | None:
        return None if self.cancelled else self._run()

    async def _run(self) -> None:
        try:
            await self._job()
        except Exception:
            log.exception("%s failed", self.what)
        if not self.cancelled:
            self._timer = self._scheduler.call_later(self._interval, self._fire)

    def cancel(self) -> None:
        self.cancelled = True
        self._timer.cancel()


def repeat(scheduler: Scheduler, interval: float, job: Callable[[], Awaitable[object]], what: str) -> Timer:
    """``every`` for any scheduler that has ``call_later``."""
    return Repeating(scheduler, interval, job, what)


class _LoopTimer:
    __slots__ = ("_handle", "_owner")

    def __init__(self, owner: LoopScheduler) -> None:
        self._owner = owner
        self._handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._owner._timers.discard(self)


class _Dead:
    """A timer asked for after ``close``: it never runs."""

    def cancel(self) -> None:
        pass


class LoopScheduler:
    """Timers of the running asyncio loop. ``now()`` comes from the injected clock; delays are waited
    in real time on the loop's monotonic clock, so ``call_at`` converts ``when`` with ``when - now()``
    at the moment of the call. Timers and jobs may only be asked for while the loop runs."""

    def __init__(self, clock: Clock = wall_clock) -> None:
        self._clock = clock
        #: ``now()`` is the clock itself: read for every chat line, without a call in between.
        self.now: Clock = clock
        self._timers: set[_LoopTimer] = set()
        self._callbacks = Callbacks()
        self._closed = False

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        if self._closed:
            return _Dead()
        timer = _LoopTimer(self)
        timer._handle = asyncio.get_running_loop().call_later(max(0.0, delay), self._fire, timer, callback)
        self._timers.add(timer)
        return timer

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        return self.call_later(when - self._clock(), callback)

    def _fire(self, timer: _LoopTimer, callback: Callable[[], object]) -> None:
        self._timers.discard(timer)
        timer._handle = None
        self._callbacks.run(callback)

    def every(self, interval: float, job: Callable[[], Awaitable[object]], what: str) -> Timer:
        # Each run is one of this scheduler's timers, so ``close`` stops the job without keeping it.
        return Repeating(self, interval, job, what)

    async def close(self) -> None:
        """Cancel every pending timer and repeated job, and every task a callback started. Idempotent."""
        self._closed = True
        for timer in list(self._timers):
            timer.cancel()
        await self._callbacks.close()
