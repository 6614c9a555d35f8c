"""Plain data of rooms and sessions, shared by the store (which builds them from rows) and the services
above it (which change them and show them).

They live here, below ``store/`` and ``rooms/``, because the store returns them: were they in
``rooms/``, the store would import the rooms package that imports the store. They hold no rules and do
no I/O; the room lifecycle is ``roomservice.rooms``.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import Any, overload

from roomservice.protocol.rooms import RoomConfig
from roomservice.types import Role, RoomState

__all__ = ["Account", "Member", "Room", "RoomConfig", "Session", "Stamps", "iso"]

#: The last whole second ``iso`` formatted (as a float), and its ``YYYY-MM-DDTHH:MM:SS.`` text.
_iso_second: list[Any] = [None, ""]
#: ``000`` to ``999``: six digits of microseconds are two lookups, not a formatted integer.
_DIGITS3 = tuple(f"{n:03d}" for n in range(1000))


@overload
def iso(ts: float) -> str: ...
@overload
def iso(ts: float | None) -> str | None: ...
def iso(ts: float | None) -> str | None:
    """``ts`` as ISO 8601 in UTC, exactly as ``datetime.isoformat`` writes it with ``Z``. Every chat
    line carries one, so the date part is formatted once per second and reused, and the microseconds
    are rounded as ``datetime.fromtimestamp`` rounds them (half to even) without integer conversions
    of the whole timestamp."""
    if ts is None:
        return None
    if ts < 0:
        return _iso_exact(ts)
    second = ts // 1.0  # the fraction below is then exact, as math.modf's is
    micros = round((ts - second) * 1e6)
    if micros >= 1_000_000:
        second += 1.0
        micros -= 1_000_000
    cached = _iso_second
    if cached[0] != second:
        cached[1] = datetime.fromtimestamp(int(second), UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        cached[0] = second
    prefix: str = cached[1]
    if micros:
        return prefix + _DIGITS3[micros // 1000] + _DIGITS3[micros % 1000] + "Z"
    return prefix[:-1] + "Z"


class Stamps:
    """Times of chat lines: ISO 8601 in UTC to the millisecond, as JavaScript's ``toISOString`` writes
    them (``2026-11-21T03:06:07.782Z``, the millisecond floored). Lines come tens of thousands a second,
    so the text of a millisecond is made once and handed to every line said within it: while
    ``start <= ts < end``, ``text`` is the answer (the chat path reads it inline, sparing a call);
    formatting each line's microseconds cost more than decoding its frame."""

    __slots__ = ("_prefix", "_second", "end", "start", "text")

    def __init__(self) -> None:
        self.start = 0.0
        self.end = 0.0  # empty: the first call formats
        self.text = ""
        #: The second the last text was in, and that second written out up to its ".": a busy
        #: server reaches a new millisecond hundreds of times a second, a new second once.
        self._second: int | None = None
        self._prefix = ""

    def __call__(self, ts: float) -> str:
        if self.start <= ts < self.end:
            return self.text
        ms = math.floor(ts * 1000.0)
        second, milli = divmod(ms, 1000)
        if second != self._second:
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            self._second = second
        self.text = f"{self._prefix}{milli:03d}Z"
        self.start = ms / 1000.0
        self.end = (ms + 1) / 1000.0
        return self.text


def _iso_exact(ts: float) -> str:
    """Before 1970: split and round as ``datetime.fromtimestamp`` does."""
    frac, whole = math.modf(ts)
    micros = round(frac * 1e6)
    second = int(whole)
    if micros >= 1_000_000:
        second += 1
        micros -= 1_000_000
    elif micros < 0:
        second -= 1
        micros += 1_000_000
    prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{prefix}.{micros:06d}Z" if micros else prefix + "Z"


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    session_id: str
    username: str
    role: Role
    seat: int
    joined_at: float
    #: A seat the server plays (``config.bots``): no socket, never the host, always online.
    bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "username": self.username,
            "role": self.role.value,
            "joined_at": iso(self.joined_at),
            "bot": self.bot,
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
    #: The newest game played (or playing) in the room: its replay is ``/api/replays/{id}`` once over.
    last_game_id: str | None = None

    @property
    def players(self) -> list[Member]:
        return [m for m in self.members if m.role is Role.PLAYER]

    @property
    def people(self) -> list[Member]:
        """The players who are not bots: the host is one of them, and a room without any closes."""
        return [m for m in self.members if m.role is Role.PLAYER and not m.bot]

    @property
    def bots(self) -> list[Member]:
        return [m for m in self.members if m.bot]

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
            "last_game_id": self.last_game_id,
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


@dataclasses.dataclass(frozen=True, slots=True)
class Account:
    """A person who signs in with a username and password (``roomservice.accounts``)."""

    account_id: str
    username: str
    created_at: float

    def to_dict(self) -> dict[str, object]:
        return {"id": self.account_id, "username": self.username, "created_at": iso(self.created_at)}


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    """Who is calling: a guest session, or one of an account's (``account_id``, with the account's
    ``account_username``). Tokens and validation are ``roomservice.sessions``."""

    session_id: str
    username: str
    created_at: float
    account_id: str | None = None
    account_username: str | None = None

    @property
    def owner_id(self) -> str:
        """Who owns what this session makes (rooms it creates, leaderboard entries): its account,
        else the session itself."""
        return self.account_id or self.session_id

    def account(self) -> dict[str, str] | None:
        """``{id, username}`` of the session's account, or None for a guest."""
        if self.account_id is None or self.account_username is None:
            return None
        return {"id": self.account_id, "username": self.account_username}

    def to_dict(self) -> dict[str, object]:
        return {"session_id": self.session_id, "username": self.username, "account": self.account()}
