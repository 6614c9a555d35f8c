"""Which strategy plays which game: the built-in games' here, and any game's whose author adds one
(``register``), so the server can fill a room's empty seats with bots (``config.bots``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from roomservice.bots import arena, cabo, tictactoe

#: A bot's next move from its own view (what its ``game_state`` carries) and its seat, or None to wait.
Strategy = Callable[[dict[str, Any], str, random.Random], dict[str, Any] | None]

#: Refusals that mean another player's move got there first: wait for the view it produced.
LOST_RACE = frozenset({"wrong_phase", "game_over", "already_peeked", "not_your_turn"})
#: Refusals in a row on one view before the bot stops retrying it.
RETRIES = 3

_STRATEGIES: dict[str, Strategy] = {
    "tictactoe": tictactoe.choose,
    "cabo": cabo.choose,
    "arena": arena.choose,
}


def register(game_id: str, strategy: Strategy) -> None:
    """Let bots sit in ``game_id``'s rooms, playing ``strategy``."""
    if game_id in _STRATEGIES:
        raise ValueError(f"game {game_id!r} already has a bot strategy")
    _STRATEGIES[game_id] = strategy


def strategy_for(game_id: str) -> Strategy | None:
    return _STRATEGIES.get(game_id)
