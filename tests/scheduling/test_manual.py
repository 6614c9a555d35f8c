"""The manual scheduler tests lean on: exact times, and a step that finishes what it starts."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.types import Clock
from tests.fakes import ManualScheduler


async def test_each_callback_sees_its_own_due_time() -> None:
    s = ManualScheduler(start=1000.0)
    seen: list[tuple[str, float]] = []
    s.call_later(5, lambda: seen.append(("b", s.now())))
    s.call_at(1002.5, lambda: seen.append(("a", s())))
    await s.advance(10)
    assert seen == [("a", 1002.5), ("b", 1005.0)]
    assert s.now() == 1010.0


async def test_ties_run_in_the_order_asked_for() -> None:
    s = ManualScheduler()
    ran: list[int] = []
    for i in range(5):
        s.call_later(1, lambda i=i: ran.append(i))
    await s.advance(1)
    assert ran == [0, 1, 2, 3, 4]


async def test_nothing_runs_until_time_is_advanced_past_it() -> None:
    s = ManualScheduler()
    ran: list[str] = []
    s.call_later(30, lambda: ran.append("grace over"))
    await s.advance(29.999)
    assert ran == []
    assert s.pending() == [pytest.approx(s.now() + 0.001)]
    await s.advance(0.001)
    assert ran == ["grace over"]
    assert s.pending() == []


async def test_a_step_runs_what_falls_due_inside_it_even_when_asked_for_during_it() -> None:
    s = ManualScheduler(start=0.0)
    seen: list[float] = []

    def first() -> None:
        seen.append(s.now())
        s.call_later(2, lambda: seen.append(s.now()))

    s.call_later(1, first)
    await s.advance(5)
    assert seen == [1.0, 3.0]


async def test_a_spawned_coroutine_finishes_inside_the_step() -> None:
    s = ManualScheduler()
    done = asyncio.Event()

    async def slow_io() -> None:
        await asyncio.sleep(0.02)  # stands for a database round trip
        done.set()

    s.call_later(1, slow_io)
    await s.advance(1)
    assert done.is_set()


async def test_every_runs_exactly_at_each_interval() -> None:
    s = ManualScheduler(start=0.0)
    runs: list[float] = []

    async def job() -> None:
        runs.append(s.now())

    timer = s.every(10, job, "tick")
    await s.advance(45)
    assert runs == [10.0, 20.0, 30.0, 40.0]
    timer.cancel()
    await s.advance(100)
    assert runs == [10.0, 20.0, 30.0, 40.0]


async def test_it_serves_as_a_clock() -> None:
    s = ManualScheduler(start=1_800_000_000.0)
    clock: Clock = s
    assert clock() == 1_800_000_000.0
    await s.advance(2.5)
    assert clock() == 1_800_000_002.5


async def test_time_does_not_go_back() -> None:
    s = ManualScheduler()
    with pytest.raises(ValueError):
        await s.advance(-1)
