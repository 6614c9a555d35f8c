"""A room's config as it travels: the server stores and sends it, the Python client decodes it.

It lives in ``protocol/`` because both sides of the wire read it: the server's rooms and store, and
``roomservice.client`` (msgspec decodes JSON straight into this dataclass, checking each field's
type and ignoring fields a newer server adds). It is one definition for both; the rules a host's
config must follow (``roomservice.rooms.model.build_config``) stay with the rooms, since they need
the game's limits.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True, slots=True)
class RoomConfig:
    """What a host chooses for a room. Durations are seconds."""

    max_players: int
    min_players: int
    timeout_seconds: int
    allow_spectators: bool = False
    #: Keep the room (until it expires) when its last player leaves, instead of deleting it.
    keep_when_empty: bool = False
    #: How long a player whose socket dropped keeps their seat.
    reconnect_grace_seconds: int = 60
    #: Seats the server fills with its own bots, so a person can play alone.
    bots: int = 0

    def to_dict(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies each value, and this runs on every room write
        # and every room shown.
        return {
            "max_players": self.max_players,
            "min_players": self.min_players,
            "timeout_seconds": self.timeout_seconds,
            "allow_spectators": self.allow_spectators,
            "keep_when_empty": self.keep_when_empty,
            "reconnect_grace_seconds": self.reconnect_grace_seconds,
            "bots": self.bots,
        }
