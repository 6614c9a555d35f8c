"""The loop scheduler with an injected clock: ``now()`` and ``call_at`` follow the clock it was given."""

from __future__ import annotations

import asyncio
import gc

from roomservice.scheduling import Callbacks, LoopScheduler
from tests.conftest import FakeClock


async def test_now_and_call_at_follow_the_injected_clock() -> None:
    clock = FakeClock(start=1_000.0)
    s = LoopScheduler(clock)
    assert s.now() == 1_000.0
    fired = asyncio.Event()
    s.call_at(1_000.02, fired.set)
    async with asyncio.timeout(1):
        await fired.wait()
    await s.close()


async def test_close_cancels_a_running_callback_task() -> None:
    s = LoopScheduler()
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    s.call_later(0, forever)
    async with asyncio.timeout(1):
        await started.wait()
    await s.close()
    assert cancelled == [True]
    await s.close()  # idempotent


async def test_a_callback_task_cancelled_before_it_starts_leaves_no_warning() -> None:
    callbacks = Callbacks()
    ran: list[bool] = []

    async def late() -> None:
        ran.append(True)

    callbacks.run(late)  # the task exists but has not had a turn yet
    await callbacks.close()
    gc.collect()
    assert ran == []
    assert callbacks.pending() == set()
