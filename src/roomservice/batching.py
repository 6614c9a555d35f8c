"""Calls that share one round trip: what is asked for while a batch is under way waits, and goes with
everything else asked for meanwhile in the next batch.

Under load this turns many small writes or round trips (one per caller) into a few large ones, without
a timer: a caller alone is served at once, and a batch is as large as what arrived while the previous
one ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batches(Generic[T, R]):
    """``await batches(item)``: ``run`` is called with every item waiting, in the order they were
    asked for, and answers each one (a value, or an exception raised to that caller alone); an
    exception raised by ``run`` itself goes to every caller of the batch. A caller that is cancelled
    stops waiting; its item still runs."""

    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R | Exception]]]) -> None:
        self._run = run
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        # Not shielded: a cancelled caller cancels its own future only, which the batch then skips.
        return await self.ask(item)

    def ask(self, item: T) -> asyncio.Future[R]:
        """``item`` joins the next batch; its answer is the future's (for a caller that does not wait
        there and then: no task is made for it)."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._task is None:
            self._task = asyncio.ensure_future(self._drain())
        return done

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                answers: Sequence[R | Exception]
                try:
                    answers = await self._run([item for item, _ in batch])
                except Exception as exc:
                    answers = [exc] * len(batch)
                for (_, done), answer in zip(batch, answers, strict=True):
                    if done.cancelled():
                        continue
                    if isinstance(answer, Exception):
                        done.set_exception(answer)
                        done.exception()  # retrieved here: a caller cancelled meanwhile no longer looks
                    else:
                        done.set_result(answer)
        finally:
            self._task = None

    @property
    def busy(self) -> bool:
        """Whether a batch is under way or items are waiting for one."""
        return self._task is not None

    async def idle(self) -> None:
        """Wait until every item asked for so far has run."""
        while self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
