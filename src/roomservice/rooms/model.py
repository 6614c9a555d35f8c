"""Rooms as the services see them, their config rules, and their JSON shape."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import Any

from roomservice.errors import Invalid
from roomservice.games.base import Game
from roomservice.types import Role, RoomState

NAME_MAX = 40
PASSWORD_MAX = 128
#: Room idle timeouts a host may choose, in seconds.
TIMEOUT_RANGE = (30, 30 * 24 * 3600)
GRACE_RANGE = (0, 3600)


#: The last whole second ``iso`` formatted, and its ``YYYY-MM-DDTHH:MM:SS`` text.
_iso_second: list[Any] = [None, ""]


def iso(ts: float | None) -> str | None:
    """``ts`` as ISO 8601 in UTC, exactly as ``datetime.isoformat`` writes it with ``Z``. Every chat
    line carries one, so the date part is formatted once per second and reused."""
    if ts is None:
        return None
    # Split and round as datetime.fromtimestamp does (half to even on the microseconds).
    frac, whole = math.modf(ts)
    micros = round(frac * 1e6)
    second = int(whole)
    if micros >= 1_000_000:
        second += 1
        micros -= 1_000_000
    elif micros < 0:
        second -= 1
        micros += 1_000_000
    cached = _iso_second
    if cached[0] != second:
        cached[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        cached[0] = second
    prefix: str = cached[1]
    return f"{prefix}.{micros:06d}Z" if micros else prefix + "Z"


@dataclasses.dataclass(frozen=True, slots=True)
class RoomConfig:
    max_players: int
    min_players: int
    timeout_seconds: int
    allow_spectators: bool = False
    #: Keep the room (until it expires) when its last player leaves, instead of deleting it.
    keep_when_empty: bool = False
    #: How long a player whose socket dropped keeps their seat.
    reconnect_grace_seconds: int = 60

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
        }

    @classmethod
    def build(cls, game: Game, base: dict[str, Any], patch: dict[str, Any]) -> RoomConfig:
        """Merge ``patch`` over ``base`` and check the result against the game's limits; raise
        ``invalid_config`` (422) naming the field, also in ``fields`` as a ``validation_error`` does.
        The same rules serve a create and a PATCH."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(map(str, patch)) - known)
        if unknown:
            raise _invalid(f"Unknown config field(s): {', '.join(unknown)}.", *unknown)
        merged = {**base, **{k: v for k, v in patch.items() if v is not None}}
        for name in ("max_players", "min_players", "timeout_seconds", "reconnect_grace_seconds"):
            value = merged[name]
            if not isinstance(value, int) or isinstance(value, bool):
                raise _invalid(f"{name} must be a whole number.", name)
        for name in ("allow_spectators", "keep_when_empty"):
            if not isinstance(merged[name], bool):
                raise _invalid(f"{name} must be true or false.", name)
        config = cls(**merged)
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
        return config


def _invalid(message: str, *names: str) -> Invalid:
    return Invalid("invalid_config", message, fields=[{"field": name, "message": message} for name in names])


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    session_id: str
    username: str
    role: Role
    seat: int
    joined_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "username": self.username,
            "role": self.role.value,
            "joined_at": iso(self.joined_at),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Room:
    room_id: str
    room_code: str
    name: str
    game: str
    has_password: bool
    private: bool
    config: RoomConfig
    state: RoomState
    host_session_id: str | None
    creator_session_id: str
    created_at: float
    last_activity: float
    game_started_at: float | None
    members: tuple[Member, ...] = ()

    @property
    def players(self) -> list[Member]:
        return [m for m in self.members if m.role is Role.PLAYER]

    @property
    def spectators(self) -> list[Member]:
        return [m for m in self.members if m.role is Role.SPECTATOR]

    def member(self, session_id: str) -> Member | None:
        return next((m for m in self.members if m.session_id == session_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The public shape of a room: never the password hash."""
        players = self.players
        host = self.member(self.host_session_id) if self.host_session_id else None
        return {
            "room_id": self.room_id,
            "room_code": self.room_code,
            "name": self.name,
            "game": self.game,
            "has_password": self.has_password,
            "private": self.private,
            "config": self.config.to_dict(),
            "state": self.state.value,
            "host_session_id": self.host_session_id,
            "host": host.username if host else None,
            "creator_session_id": self.creator_session_id,
            "created_at": iso(self.created_at),
            "last_activity": iso(self.last_activity),
            "game_started_at": iso(self.game_started_at),
            "players": [m.to_dict() for m in players],
            "spectators": [m.to_dict() for m in self.spectators],
            "player_count": len(players),
            "capacity": self.config.max_players,
            "invite_path": f"/r/{self.room_code}",
        }

    def summary(self) -> dict[str, Any]:
        """How a room is named in errors such as ``already_in_room`` and ``room_limit``."""
        return {
            "room_code": self.room_code,
            "room_id": self.room_id,
            "name": self.name,
            "game": self.game,
            "state": self.state.value,
        }
