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
