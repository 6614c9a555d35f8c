"""Rooms' config rules. The plain room types live in ``roomservice.model`` (and ``RoomConfig`` in
``roomservice.protocol.rooms``), below the store that builds them; they are re-exported here so
``from roomservice.rooms.model import Room`` keeps working."""

from __future__ import annotations

import dataclasses
from typing import Any

from roomservice.bots.strategies import strategy_for
from roomservice.errors import Invalid
from roomservice.games.base import Game
from roomservice.model import Member, Room, iso
from roomservice.protocol.rooms import RoomConfig

__all__ = [
    "GRACE_RANGE",
    "NAME_MAX",
    "PASSWORD_MAX",
    "TIMEOUT_RANGE",
    "Member",
    "Room",
    "RoomConfig",
    "bots_fit",
    "build_config",
    "iso",
]

NAME_MAX = 40
PASSWORD_MAX = 128
#: Room idle timeouts a host may choose, in seconds.
TIMEOUT_RANGE = (30, 30 * 24 * 3600)
GRACE_RANGE = (0, 3600)


def build_config(game: Game, base: dict[str, Any], patch: dict[str, Any]) -> RoomConfig:
    """Merge ``patch`` over ``base`` and check the result against the game's limits; raise
    ``invalid_config`` (422) naming the field, also in ``fields`` as a ``validation_error`` does.
    The same rules serve a create and a PATCH."""
    known = {f.name for f in dataclasses.fields(RoomConfig)}
    unknown = sorted(set(map(str, patch)) - known)
    if unknown:
        raise _invalid(f"Unknown config field(s): {', '.join(unknown)}.", *unknown)
    merged = {**base, **{k: v for k, v in patch.items() if v is not None}}
    for name in ("max_players", "min_players", "timeout_seconds", "reconnect_grace_seconds", "bots"):
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid(f"{name} must be a whole number.", name)
    for name in ("allow_spectators", "keep_when_empty"):
        if not isinstance(merged[name], bool):
            raise _invalid(f"{name} must be true or false.", name)
    config = RoomConfig(**merged)
    lo, hi = game.min_players, game.max_players
    if not lo <= config.max_players <= hi:
        raise _invalid(f"max_players must be between {lo} and {hi} for {game.name}.", "max_players")
    if not lo <= config.min_players <= config.max_players:
        raise _invalid(
            f"min_players must be between {lo} and max_players ({config.max_players}).", "min_players"
        )
    if not TIMEOUT_RANGE[0] <= config.timeout_seconds <= TIMEOUT_RANGE[1]:
        raise _invalid(
            f"timeout_seconds must be between {TIMEOUT_RANGE[0]} and {TIMEOUT_RANGE[1]}.",
            "timeout_seconds",
        )
    if not GRACE_RANGE[0] <= config.reconnect_grace_seconds <= GRACE_RANGE[1]:
        raise _invalid(
            f"reconnect_grace_seconds must be between {GRACE_RANGE[0]} and {GRACE_RANGE[1]}.",
            "reconnect_grace_seconds",
        )
    if not 0 <= config.bots < config.max_players:
        # The room's own rules (rooms.service) also keep the seats people sit in.
        raise _invalid(
            f"bots must be between 0 and {config.max_players - 1} (one seat is the host's).", "bots"
        )
    if config.bots and strategy_for(game.id) is None:
        raise _invalid(f"{game.name} has no bots.", "bots")
    return config


def bots_fit(config: RoomConfig, people: int) -> None:
    """Raise ``invalid_config`` unless ``config.bots`` fit in the seats ``people`` leave free."""
    free = config.max_players - people
    if config.bots > free:
        message = f"bots ({config.bots}) cannot be more than the {free} free seat(s)."
        raise _invalid(message, "bots")


def _invalid(message: str, *names: str) -> Invalid:
    return Invalid("invalid_config", message, fields=[{"field": name, "message": message} for name in names])
