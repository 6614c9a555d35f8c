"""A game for matchmaking tests: rooms of 1–8, matched 3–5 (the arena's sizes); loaded through
``ROOMSERVICE_GAMES`` like any third-party game."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from roomservice.games.base import Context, Game, InvalidAction, Outcome, PlayerId, State


class Huddle(Game):
    id = "huddle"
    name = "Huddle"
    min_players = 1
    max_players = 8
    match_players = (3, 5)
    options_schema = {"type": "object", "properties": {"rounds": {"type": "integer"}}}

    def validate_options(self, options: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        rounds = options.get("rounds", 1)
        if set(options) - {"rounds"} or not isinstance(rounds, int) or not 1 <= rounds <= 9:
            raise InvalidAction("invalid_options", "rounds: a whole number from 1 to 9.")
        return {"rounds": rounds}

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"players": list(players), "rounds": options["rounds"]})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        raise InvalidAction("no_moves", "Huddle takes no moves.")

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return dict(state)

    def result(self, state: State) -> Mapping[str, Any] | None:
        return None
