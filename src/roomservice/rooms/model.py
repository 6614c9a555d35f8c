"""Rooms' config rules. The plain room types live in ``roomservice.model`` (and ``RoomConfig`` in
``roomservice.protocol.rooms``), below the store that builds them; they are re-exported here so
``from roomservice.rooms.model import Room`` keeps working."""

from __future__ import annotations

import dataclasses
from typing import Any

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
    "build_config",
    "iso",
]

NAME_MAX = 40
PASSWORD_MAX = 128
#: Room idle timeouts a host may choose, in seconds.
TIMEOUT_RANGE = (30, 30 * 24 * 3600)
GRACE_RANGE = (0, 3600)


def build_config(game: Game, base: dict[str, Any], patch: dict[str, Any]) -> RoomConfig:
    """Merge ``patch`` over ``base`` and check the result against the game's limits;
    raise ``invalid_config`` (422) naming the field."""
    unknown = sorted(set(patch) - {f.name for f in dataclasses.fields(RoomConfig)})
    if unknown:
        raise Invalid("invalid_config", f"Unknown config field(s): {', '.join(unknown)}.")
    merged = {**base, **{k: v for k, v in patch.items() if v is not None}}
    for name in ("max_players", "min_players", "timeout_seconds", "reconnect_grace_seconds"):
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid("invalid_config", f"{name} must be a whole number.")
    for name in ("allow_spectators", "keep_when_empty"):
        if not isinstance(merged[name], bool):
            raise Invalid("invalid_config", f"{name} must be true or false.")
    config = RoomConfig(**merged)
    lo, hi = game.min_players, game.max_players
    if not lo <= config.max_players <= hi:
        raise Invalid("invalid_config", f"max_players must be between {lo} and {hi} for {game.name}.")
    if not lo <= config.min_players <= config.max_players:
        raise Invalid(
            "invalid_config",
            f"min_players must be between {lo} and max_players ({config.max_players}).",
        )
    if not TIMEOUT_RANGE[0] <= config.timeout_seconds <= TIMEOUT_RANGE[1]:
        raise Invalid(
            "invalid_config",
            f"timeout_seconds must be between {TIMEOUT_RANGE[0]} and {TIMEOUT_RANGE[1]}.",
        )
    if not GRACE_RANGE[0] <= config.reconnect_grace_seconds <= GRACE_RANGE[1]:
        raise Invalid(
            "invalid_config",
            f"reconnect_grace_seconds must be between {GRACE_RANGE[0]} and {GRACE_RANGE[1]}.",
        )
    return config
