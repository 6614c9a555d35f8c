"""Calls that share one round trip: what is asked for while a batch is under way waits, and goes with
everything else asked for meanwhile in the next batch.

Under load this turns many small writes or round trips (one per caller) into a few large ones, without
a timer: a caller alone is served at once, and a batch is as large as what arrived while the previous
one ran. With ``rounds`` above one, that many batches may be under way at once, so the process works
on one while another waits on its round trip.
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
    stops waiting; its item still runs. At most ``rounds`` calls of ``run`` are under way at once
    (one by default: a batch starts once the previous one has answered)."""

    def __init__(
        self, run: Callable[[list[T]], Awaitable[Sequence[R | Exception]]], *, rounds: int = 1
    ) -> None:
        self._run = run
        self._rounds = rounds
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if len(self._tasks) < self._rounds:
            task = asyncio.ensure_future(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)  # also when cancelled before it ran
        # Not shielded: a cancelled caller cancels its own future only, which the batch then skips.
        return await done

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
            # Now, not in a done callback: an item asked for after the loop ended starts a new task.
            self._tasks.discard(asyncio.current_task())

    async def idle(self) -> None:
        """Wait until every item asked for so far has run."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
