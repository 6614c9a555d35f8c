"""The games catalogue: built-in games, games from installed packages and games named in config.

A third-party package registers a game with an entry point in the ``roomservice.games`` group whose value
is the game class; a deployment can also list ``module:Class`` paths in ``ROOMSERVICE_GAMES``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points

from roomservice.errors import NotFound
from roomservice.games.base import SCORE_ORDERS, SCORE_TOTALS, Game

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "roomservice.games"


class GameRegistry:
    def __init__(self, games: Iterable[Game] = ()) -> None:
        self._games: dict[str, Game] = {}
        for game in games:
            self.register(game)

    def register(self, game: Game) -> None:
        if game.id in self._games:
            raise ValueError(f"a game with id {game.id!r} is already registered")
        if not 1 <= game.min_players <= game.max_players:
            raise ValueError(f"game {game.id!r}: need 1 <= min_players <= max_players")
        if game.score_total not in SCORE_TOTALS or game.score_order not in SCORE_ORDERS:
            raise ValueError(
                f"game {game.id!r}: score_total is one of {SCORE_TOTALS}, score_order one of {SCORE_ORDERS}"
            )
        self._games[game.id] = game

    def get(self, game_id: str) -> Game:
        try:
            return self._games[game_id]
        except KeyError:
            raise NotFound("game_not_found", f"No game with id {game_id!r}.") from None

    def __contains__(self, game_id: object) -> bool:
        return game_id in self._games

    def __iter__(self) -> Iterator[Game]:
        return iter(self._games.values())


def _load(path: str) -> Game:
    module_name, _, attr = path.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    return obj() if isinstance(obj, type) else obj  # type: ignore[no-any-return]


def default_registry(extra_paths: Iterable[str] = ()) -> GameRegistry:
    """Built-in games, then entry points, then ``module:Class`` paths."""
    from roomservice.games.builtin import builtin_games

    registry = GameRegistry(builtin_games())
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            registry.register(_load(ep.value))
        except Exception:
            log.exception("could not load game entry point %s", ep.name)
    for path in extra_paths:
        registry.register(_load(path))
    return registry
