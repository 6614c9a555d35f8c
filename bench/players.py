"""Bots for the ``turns`` and ``ticks`` workloads, played inside the load generator's picows callbacks.

The strategies are roomservice's own (``roomservice.bots``: pure functions from a view to a payload); this
module only keeps, per socket, what :func:`roomservice.bots.play.play` keeps in its loop (the latest view,
the one action in flight and its ``ref``), so that thousands of players need no task or client object
each: the load generator stays cheap next to the server it measures. A bot of a real-time game (the
arena) answers every new view with one input at once and keeps nothing in flight: its views come on the
game's schedule and acknowledge its inputs themselves (``ack``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

from roomservice.bots import arena, cabo, tictactoe
from roomservice.bots.play import LOST_RACE, RETRIES

Strategy = Callable[[dict[str, Any], str, random.Random], dict[str, Any] | None]

#: The strategy for each game the workload plays.
STRATEGIES: dict[str, Strategy] = {"tictactoe": tictactoe.choose, "cabo": cabo.choose, "arena": arena.choose}
#: Games whose bots answer every view at once (no action in flight, no ``ref``).
REALTIME = frozenset({"arena"})
#: The body of ``POST /api/rooms/{code}/start`` per game. Cabo's peek window is long enough that every
#: bot peeks before it closes, so no timer fires during a run.
START: dict[str, dict[str, Any]] = {
    "tictactoe": {},
    "cabo": {"options": {"peek_seconds": 600}},
    # As long and with as high a target as allowed: a match outlasts a run.
    "arena": {"options": {"time_limit": 600, "kill_target": 100}},
}


@dataclasses.dataclass(slots=True)
class Bot:
    """One player's side of the game: decides on each new view, one action in flight at a time."""

    me: str
    strategy: Strategy
    rng: random.Random
    #: The ``state`` of the latest ``game_state`` and its (game_no, version).
    view: dict[str, Any] | None = None
    key: tuple[int, int] = (0, -1)
    #: The (game_no, version) the last action was decided on.
    acted_on: tuple[int, int] | None = None
    in_flight: int | None = None
    sent_at: int = 0
    next_ref: int = 1
    retries: int = 0
    realtime: bool = False

    def on_view(self, frame: dict[str, Any]) -> bool:
        """A ``game_state`` for this player; True when it acknowledges the action in flight."""
        acked = self.in_flight is not None and frame.get("ref") == self.in_flight
        if acked:
            self.in_flight = None
        if frame.get("result") is not None:
            self.view = None  # the game is over: nothing to decide until the next one starts
        else:
            self.view = frame["state"]
            self.key = (int(frame["game_no"]), int(frame["version"]))
            self.retries = 0
        return acked

    def on_refused(self, ref: object, code: str) -> bool:
        """An ``error`` frame; True when it refuses the action in flight. After a lost race the bot waits
        for a newer view; after any other refusal it decides again on the same one."""
        if self.in_flight is None or ref != self.in_flight:
            return False
        self.in_flight = None
        self.retries += 1
        if code not in LOST_RACE and self.retries <= RETRIES:
            self.acted_on = None
        return True

    def decide(self) -> dict[str, Any] | None:
        """The action to send now (with its ``ref`` set as in flight), or None."""
        if self.realtime:
            if self.view is None or self.key == self.acted_on:
                return None
            self.acted_on = self.key
            move = self.strategy(self.view, self.me, self.rng)
            return None if move is None else {"type": "action", "payload": move}
        if self.view is None or self.in_flight is not None or self.key == self.acted_on:
            return None
        self.acted_on = self.key
        move = self.strategy(self.view, self.me, self.rng)
        if move is None:
            return None
        self.in_flight, self.next_ref = self.next_ref, self.next_ref + 1
        return {"type": "action", "payload": move, "ref": self.in_flight}
