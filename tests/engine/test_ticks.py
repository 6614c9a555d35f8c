"""The rooms' ticks share one loop timer: each runs once, in due order, once the loop's clock reaches
it; a cancelled one never runs; one armed while others run waits for its own time."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable
from typing import Any

from roomservice.engine.runner import _Ticks, _ticks


async def test_ticks_run_in_due_order_once_due_and_never_once_cancelled() -> None:
    loop = asyncio.get_running_loop()
    ticks = _ticks(loop)
    assert _ticks(loop) is ticks
    start = loop.time()
    ran: list[tuple[str, bool]] = []

    def note(name: str, due: float) -> None:
        ran.append((name, loop.time() >= due))

    for name, delay in (("c", 0.03), ("a", 0.01), ("b", 0.02), ("a2", 0.01)):
        ticks.call_at(start + delay, lambda n=name, d=start + delay: note(n, d))
    dropped = ticks.call_at(start + 0.015, lambda: note("dropped", 0.0))
    dropped.cancel()
    await asyncio.sleep(0.06)
    assert ran == [("a", True), ("a2", True), ("b", True), ("c", True)]


async def test_a_tick_armed_by_a_tick_runs_at_its_own_time_and_an_error_stops_no_other() -> None:
    loop = asyncio.get_running_loop()
    ticks = _ticks(loop)
    start = loop.time()
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        ticks.call_at(start + 0.03, lambda: ran.append("again"))
        raise RuntimeError("a failing tick")

    ticks.call_at(start + 0.01, first)
    ticks.call_at(start + 0.01, lambda: ran.append("second"))
    await asyncio.sleep(0.02)
    assert ran == ["first", "second"]
    await asyncio.sleep(0.03)
    assert ran == ["first", "second", "again"]


class _Loop:
    """A loop's clock and timers by hand: ``fire`` calls every timer armed so far, due or not (as a
    loop that calls a timer a little early would)."""

    def __init__(self) -> None:
        self.now = 0.0
        #: [when, callback, cancelled] of each timer armed since the last ``fire``.
        self.timers: list[list[Any]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> Any:
        timer: list[Any] = [when, callback, False]
        self.timers.append(timer)

        class Handle:
            def cancel(self) -> None:
                timer[2] = True

        return Handle()

    def fire(self) -> None:
        timers, self.timers = self.timers, []
        for _, callback, cancelled in timers:
            if not cancelled:
                callback()


def test_a_timer_called_a_little_early_runs_the_ticks_it_was_armed_for() -> None:
    loop = _Loop()
    ticks = _Ticks(loop)  # type: ignore[arg-type]
    ran: list[str] = []
    ticks.call_at(1.0, lambda: ran.append("a"))
    ticks.call_at(1.0, lambda: ran.append("b"))
    ticks.call_at(1.5, lambda: ran.append("c"))
    loop.now = 0.9995  # uvloop rounds a timer's delay to whole milliseconds
    loop.fire()
    assert ran == ["a", "b"]
    assert [t[0] for t in loop.timers] == [1.5]


def test_a_tick_armed_past_due_by_a_tick_waits_for_the_next_pass() -> None:
    loop = _Loop()
    ticks = _Ticks(loop)  # type: ignore[arg-type]
    ran: list[str] = []

    def behind() -> None:
        ran.append("behind")
        ticks.call_at(0.5, lambda: ran.append("caught up"))  # already due: a room catching up

    ticks.call_at(1.0, behind)
    ticks.call_at(1.0, lambda: ran.append("other"))
    loop.now = 1.0
    loop.fire()
    assert ran == ["behind", "other"]
    loop.fire()
    assert ran == ["behind", "other", "caught up"]


def test_a_loop_is_not_kept_alive_by_its_ticks() -> None:
    """Each loop's ticks are found by the loop, weakly: a closed loop goes, and its ticks with it."""
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def tick_once() -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        _ticks(loop).call_at(loop.time(), done.set)
        await done.wait()
        loops.append(weakref.ref(loop))

    for _ in range(3):
        asyncio.run(tick_once())
    gc.collect()
    assert [ref() for ref in loops] == [None, None, None]
