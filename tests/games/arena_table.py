"""A tiny driver for arena tests: a state, the ticks, and ways to script positions and histories.

Not a test module; the arena test files import it (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from roomservice.games.arena import Arena
from roomservice.games.base import Context, Event

GAME = Arena()
NOW = 1_700_000_000.0
DT = 1 / 30


def ctx(now: float = NOW) -> Context:
    return Context(now, random.Random(0))


class Table:
    """Holds the state and the events, ticking and sending inputs the way the engine would."""

    def __init__(self, players: Sequence[str] = "abc", **options: Any) -> None:
        self.players = list(players)
        self.state: Any = GAME.setup(self.players, options, ctx()).state
        self.events: list[Event] = []
        self.seqs = dict.fromkeys(self.players, 0)

    def send(
        self,
        player: str,
        move: tuple[float, float] = (0.0, 0.0),
        aim: float = 0.0,
        fire: bool = False,
        tick: int | None = None,
        seq: int | None = None,
    ) -> Any:
        if seq is None:
            seq = self.seqs.get(player, 0) + 1
            self.seqs[player] = seq
        payload = {
            "seq": seq,
            "tick": self.state["tick"] if tick is None else tick,
            "move": list(move),
            "aim": aim,
            "fire": fire,
        }
        self.state = GAME.apply(self.state, player, payload, ctx()).state
        return self.state

    def tick(self, n: int = 1) -> list[Event]:
        events: list[Event] = []
        for _ in range(n):
            outcome = GAME.tick(self.state, DT, ctx(NOW + (self.state["tick"] + 1) * DT))
            self.state = outcome.state
            events += outcome.events
        self.events += events
        return events

    def p(self, player: str) -> dict[str, Any]:
        player_state: dict[str, Any] = self.state["players"][player]
        return player_state

    def place(self, player: str, x: float, y: float) -> None:
        """Put a player at (x, y) now and through the whole kept history."""
        self.p(player).update(x=x, y=y)
        seat = self.p(player)["seat"]
        for entry in self.state["history"]:
            entry[1][seat] = [x, y]

    def script(self, player: str, path: dict[int, tuple[float, float]]) -> None:
        """Rewrite the kept history so ``player`` stood at ``path[tick]`` (ticks not named keep theirs);
        adds entries up to the current tick if they are missing."""
        seat = self.p(player)["seat"]
        have = {entry[0]: entry for entry in self.state["history"]}
        for tick in range(self.state["tick"] - 30, self.state["tick"] + 1):
            if tick >= 0 and tick not in have:
                have[tick] = [tick, [[p["x"], p["y"]] for p in self.state["players"].values()]]
        for tick, pos in path.items():
            have[tick][1][seat] = list(pos)
        self.state["history"] = [have[t] for t in sorted(have)][-31:]
