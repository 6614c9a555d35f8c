"""Every scheduler, for the contract suite: the real loop one (with delays of tens of milliseconds) and the
manual one tests use. A test passes time with ``driver.wait(seconds)``: a real sleep for the first, an
``advance`` for the second."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from roomservice.scheduling import LoopScheduler, Scheduler
from tests.fakes import ManualScheduler


@dataclasses.dataclass
class Driver:
    scheduler: Scheduler
    wait: Callable[[float], Awaitable[None]]
    close: Callable[[], Awaitable[None]]


def _loop() -> Driver:
    scheduler = LoopScheduler()
    return Driver(scheduler, asyncio.sleep, scheduler.close)


def _manual() -> Driver:
    scheduler = ManualScheduler()
    return Driver(scheduler, scheduler.advance, scheduler.close)


IMPLEMENTATIONS: dict[str, Callable[[], Driver]] = {"loop": _loop, "manual": _manual}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    made = IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()
