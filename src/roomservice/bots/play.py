"""Drive a strategy over a socket until the game it is in is over."""

from __future__ import annotations

import asyncio
import itertools
import random

from roomservice.bots.strategies import LOST_RACE, RETRIES, Strategy
from roomservice.client import Error, Event, GameState, Socket

__all__ = ["LOST_RACE", "RETRIES", "Strategy", "play"]


async def play(
    socket: Socket,
    me: str,
    strategy: Strategy,
    rng: random.Random,
    *,
    seen: list[Event] | None = None,
    timeout: float = 30.0,
    realtime: bool = False,
) -> GameState:
    """Answer each view with the strategy's move, one move in flight at a time; return the final
    ``game_state``. Every event read is appended to ``seen``.

    A move is settled when the server acknowledges it (the bot's next view carries its ``ref``) or
    refuses it (an ``error`` with its ``ref``). After a lost race the bot waits for the next view; after
    any other refusal it decides again on the same view (a strategy with randomness picks differently).

    ``realtime`` is for a game whose views come on their own schedule and whose inputs are never
    acknowledged by a view of their own (the arena): every new view is answered with one input at
    once, nothing waits for a ``ref``, and a refusal is simply outlived by the next view.
    """
    if realtime:
        return await _play_realtime(socket, me, strategy, rng, seen, timeout)
    refs = itertools.count(1)
    current: GameState | None = None
    in_flight: int | None = None
    acted_on = -1  # the version of the view the last move was decided on
    retries = 0
    while True:
        event = await socket.next(timeout)
        if seen is not None:
            seen.append(event)
        if isinstance(event, GameState):
            current = event
            if event.result is not None:
                return event
            retries = 0
            if event.ref is not None and event.ref == in_flight:
                in_flight = None
        elif isinstance(event, Error) and event.code == "rate_limited":
            in_flight, acted_on = None, -1
            await asyncio.sleep(0.2)
        elif isinstance(event, Error) and event.ref is not None and event.ref == in_flight:
            in_flight = None
            retries += 1
            if event.code not in LOST_RACE and retries <= RETRIES:
                acted_on = -1
        else:
            continue
        if current is None or in_flight is not None or current.version == acted_on:
            continue
        move = strategy(current.state, me, rng)
        acted_on = current.version
        if move is not None:
            in_flight = next(refs)
            await socket.action(move, ref=in_flight)


async def _play_realtime(
    socket: Socket,
    me: str,
    strategy: Strategy,
    rng: random.Random,
    seen: list[Event] | None,
    timeout: float,
) -> GameState:
    last = -1
    while True:
        event = await socket.next(timeout)
        if seen is not None:
            seen.append(event)
        if not isinstance(event, GameState):
            continue
        if event.result is not None:
            return event
        if event.version <= last:
            continue
        last = event.version
        move = strategy(event.state, me, rng)
        if move is not None:
            await socket.action(move)
