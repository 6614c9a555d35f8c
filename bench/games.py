"""Synthetic games the benchmark server loads through ``ROOMSERVICE_GAMES``.

``Lounge`` is a room with no rules and room for many players, so that fan-out can be measured with rooms
larger than any built-in game seats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from roomservice.games.base import Context, Game, InvalidAction, Outcome, PlayerId, State


class Lounge(Game):
    id = "bench_lounge"
    name = "Lounge"
    description = "A room to talk in, with no game: used by load tests."
    min_players = 1
    max_players = 1000

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"players": list(players)})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        raise InvalidAction("no_actions", "The lounge has no moves.")

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return {"players": list(state["players"])}

    def result(self, state: State) -> Mapping[str, Any] | None:
        return None


class Pulse(Game):
    """A synthetic real-time game: 30 ticks a second move every player's dot around a circle, and 20
    views a second show where the dots are. It stands in for a real-time game in the ``ticks`` workload."""

    id = "bench_pulse"
    name = "Pulse"
    description = "Dots circling at 30 ticks a second, shown 20 times a second: used by load tests."
    min_players = 1
    max_players = 16
    realtime = True
    tick_rate = 30.0
    view_rate = 20.0

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"ticks": 0, "angle": {p: 0.0 for p in players}, "speed": {p: 1.0 for p in players}})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        speed = action.get("speed") if isinstance(action, dict) else None
        if not isinstance(speed, int | float) or isinstance(speed, bool) or not -10 <= speed <= 10:
            raise InvalidAction("invalid_action", 'Send {"speed": s} with -10 <= s <= 10.')
        if player not in state["speed"]:
            raise InvalidAction("not_a_player", "You are not playing this game.")
        return Outcome({**state, "speed": {**state["speed"], player: float(speed)}})

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        angle = {p: (a + state["speed"][p] * dt) % 6.283185307179586 for p, a in state["angle"].items()}
        return Outcome({**state, "ticks": state["ticks"] + 1, "angle": angle})

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return {"ticks": state["ticks"], "angle": {p: round(a, 3) for p, a in state["angle"].items()}}

    def result(self, state: State) -> Mapping[str, Any] | None:
        return None
