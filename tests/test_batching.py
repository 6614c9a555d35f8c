"""Calls that share one round trip: a caller alone goes at once, callers arriving while a batch runs go
together in the next one, and each gets its own answer or error."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.batching import Batches


class Doubler:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(items)
        await self.gate.wait()
        if -1 in items:
            raise RuntimeError("the whole batch failed")
        return [ValueError(f"odd {i}") if i % 2 else i * 2 for i in items]


async def test_callers_arriving_during_a_batch_share_the_next_one() -> None:
    doubler = Doubler()
    batches = Batches(doubler.run)
    assert await batches(2) == 4  # alone: at once
    doubler.gate.clear()
    first = asyncio.ensure_future(batches(4))
    await asyncio.sleep(0.01)  # the batch of one is under way, held at the gate
    rest = [asyncio.ensure_future(batches(i)) for i in (6, 8, 10)]
    await asyncio.sleep(0.01)
    doubler.gate.set()
    assert await first == 8 and await asyncio.gather(*rest) == [12, 16, 20]
    assert doubler.batches == [[2], [4], [6, 8, 10]]


async def test_each_caller_gets_its_own_error_and_a_failed_batch_fails_its_callers() -> None:
    doubler = Doubler()
    batches = Batches(doubler.run)
    answers = await asyncio.gather(batches(2), batches(3), batches(4), return_exceptions=True)
    assert answers[0] == 4 and answers[2] == 8 and isinstance(answers[1], ValueError)
    results = await asyncio.gather(batches(-1), batches(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await batches(6) == 12  # and the next batch runs as usual


async def test_a_cancelled_caller_stops_waiting_but_its_item_runs() -> None:
    doubler = Doubler()
    batches = Batches(doubler.run)
    doubler.gate.clear()
    waiting = asyncio.ensure_future(batches(2))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    doubler.gate.set()
    await batches.idle()
    assert doubler.batches == [[2]]


async def test_an_item_asked_for_as_a_batch_ends_is_not_left_waiting() -> None:
    woken = asyncio.Event()

    async def run(items: list[int]) -> list[int | Exception]:
        woken.set()  # wakes the one below before this batch's task has finished
        return [i * 2 for i in items]

    batches = Batches(run)

    async def ask_when_woken() -> int:
        await woken.wait()
        return await batches(5)

    later = asyncio.ensure_future(ask_when_woken())
    await asyncio.sleep(0)
    assert await batches(1) == 2
    assert await asyncio.wait_for(later, 1) == 10
