"""What every scheduler promises (``roomservice.scheduling``). Delays are tens of milliseconds so the loop
scheduler runs them for real; margins leave room for a busy machine."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from tests.scheduling.conftest import Driver


async def test_callbacks_run_in_time_order_not_in_the_order_asked(driver: Driver) -> None:
    ran: list[str] = []
    s = driver.scheduler
    s.call_later(0.06, lambda: ran.append("third"))
    s.call_later(0.02, lambda: ran.append("first"))
    s.call_at(s.now() + 0.04, lambda: ran.append("second"))
    await driver.wait(0.15)
    assert ran == ["first", "second", "third"]


async def test_a_callback_does_not_run_before_it_is_due(driver: Driver) -> None:
    ran: list[float] = []
    s = driver.scheduler
    start = s.now()
    s.call_later(0.3, lambda: ran.append(s.now()))
    await driver.wait(0.05)
    assert ran == []
    await driver.wait(0.4)
    assert len(ran) == 1 and ran[0] >= start + 0.29


async def test_now_is_wall_seconds_and_moves_with_time(driver: Driver) -> None:
    s = driver.scheduler
    before = s.now()
    assert before > 1_600_000_000
    await driver.wait(0.05)
    assert s.now() - before >= 0.04


async def test_a_cancelled_callback_never_runs_and_cancel_is_idempotent(driver: Driver) -> None:
    ran: list[str] = []
    s = driver.scheduler
    kept = s.call_later(0.02, lambda: ran.append("kept"))
    dropped = s.call_later(0.02, lambda: ran.append("dropped"))
    dropped.cancel()
    dropped.cancel()
    await driver.wait(0.1)
    assert ran == ["kept"]
    kept.cancel()  # after it ran: nothing happens
    await driver.wait(0.05)
    assert ran == ["kept"]


async def test_call_at_in_the_past_and_a_negative_delay_run_soon(driver: Driver) -> None:
    ran: list[str] = []
    s = driver.scheduler
    s.call_at(s.now() - 60, lambda: ran.append("past"))
    s.call_later(-1, lambda: ran.append("negative"))
    await driver.wait(0.01)
    assert sorted(ran) == ["negative", "past"]


async def test_an_async_callback_runs_to_its_end(driver: Driver) -> None:
    steps: list[str] = []

    async def work() -> None:
        steps.append("start")
        await asyncio.sleep(0)
        steps.append("end")

    driver.scheduler.call_later(0.01, work)
    await driver.wait(0.05)
    assert steps == ["start", "end"]


async def test_a_raising_callback_is_logged_and_later_ones_still_run(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []
    s = driver.scheduler

    def broken() -> None:
        raise RuntimeError("timer bug")

    async def broken_later() -> None:
        raise RuntimeError("async timer bug")

    s.call_later(0.01, broken)
    s.call_later(0.01, broken_later)
    s.call_later(0.03, lambda: ran.append("after"))
    with caplog.at_level(logging.ERROR, logger="roomservice.scheduling"):
        await driver.wait(0.1)
    assert ran == ["after"]
    assert "timer bug" in caplog.text and "async timer bug" in caplog.text


async def test_a_callback_may_schedule_another(driver: Driver) -> None:
    ran: list[str] = []
    s = driver.scheduler
    s.call_later(0.01, lambda: s.call_later(0.01, lambda: ran.append("chained")))
    await driver.wait(0.1)
    assert ran == ["chained"]


async def test_every_repeats_from_one_interval_after_the_call(driver: Driver) -> None:
    runs: list[float] = []
    s = driver.scheduler

    async def job() -> None:
        runs.append(s.now())

    start = s.now()
    timer = s.every(0.03, job, "counting")
    await driver.wait(0.2)
    assert len(runs) >= 3
    assert runs[0] >= start + 0.029
    assert all(b - a >= 0.029 for a, b in itertools.pairwise(runs))
    timer.cancel()


async def test_every_survives_an_exception_and_logs_what(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("first run fails")

    timer = driver.scheduler.every(0.02, flaky, "expiring idle rooms")
    with caplog.at_level(logging.ERROR, logger="roomservice.scheduling"):
        await driver.wait(0.15)
    timer.cancel()
    assert len(runs) >= 2
    failures = [r for r in caplog.records if r.name == "roomservice.scheduling"]
    assert len(failures) == 1
    assert "expiring idle rooms" in failures[0].getMessage()
    assert "first run fails" in caplog.text


async def test_cancel_stops_every_also_from_inside_the_job(driver: Driver) -> None:
    outside: list[int] = []
    inside: list[int] = []

    async def count() -> None:
        outside.append(1)

    async def once() -> None:
        inside.append(1)
        own.cancel()

    timer = driver.scheduler.every(0.02, count, "outside")
    own = driver.scheduler.every(0.02, once, "inside")
    await driver.wait(0.07)
    timer.cancel()
    seen = len(outside)
    assert seen >= 1
    await driver.wait(0.1)
    # A run already under way when cancel() was called may still finish; none starts after it.
    settled = len(outside)
    assert settled <= seen + 1
    await driver.wait(0.1)
    assert len(outside) == settled
    assert inside == [1]


async def test_every_refuses_an_interval_that_is_not_positive(driver: Driver) -> None:
    async def job() -> None:
        pass

    with pytest.raises(ValueError):
        driver.scheduler.every(0, job, "never")


async def test_close_cancels_pending_timers_and_jobs(driver: Driver) -> None:
    ran: list[str] = []
    s = driver.scheduler

    async def job() -> None:
        ran.append("job")

    s.call_later(0.02, lambda: ran.append("timer"))
    s.every(0.02, job, "job")
    await driver.close()
    s.call_later(0, lambda: ran.append("after close"))
    await driver.wait(0.1)
    assert ran == []
