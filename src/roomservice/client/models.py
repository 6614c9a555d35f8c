"""What the HTTP API and the room frames describe: sessions, games, rooms and their members.

Decoded with msgspec. Fields a newer server adds are ignored; fields it may leave out have defaults,
so an older client keeps working against a newer server. ``RoomConfig`` is the server's own
(``roomservice.protocol.rooms``).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from roomservice.protocol.rooms import RoomConfig

__all__ = [
    "GameInfo",
    "LobbyPage",
    "MatchmakingStats",
    "Member",
    "Project",
    "ProjectVersion",
    "Room",
    "RoomConfig",
    "Session",
    "SessionAccount",
    "Ticket",
]


class SessionAccount(msgspec.Struct, kw_only=True):
    """The account a session belongs to."""

    id: str
    username: str


class Session(msgspec.Struct, kw_only=True):
    """A session. ``token`` is set only when the session was just created; ``room_code`` only
    by ``GET /api/session`` (the room the session sits in, if any); ``account`` when the session
    belongs to an account."""

    session_id: str
    username: str
    token: str | None = None
    room_code: str | None = None
    account: SessionAccount | None = None


class GameInfo(msgspec.Struct, kw_only=True):
    """One entry of the game catalogue."""

    id: str
    name: str
    description: str = ""
    min_players: int
    max_players: int
    realtime: bool = False


class Member(msgspec.Struct, kw_only=True):
    """A player or spectator. ``online`` is known only in socket frames (``room_state``): whether the
    member's socket is attached right now; HTTP answers leave it ``None``."""

    session_id: str
    username: str
    role: str
    joined_at: datetime | None = None
    online: bool | None = None
    #: A seat the server plays (the room's ``config.bots``).
    bot: bool = False


class Room(msgspec.Struct, kw_only=True):
    """A room as ``GET /api/rooms/{code}`` shows it (never its password)."""

    room_id: str
    room_code: str
    name: str
    game: str
    has_password: bool = False
    private: bool = False
    config: RoomConfig
    #: ``WAITING``, ``IN_GAME`` or ``FINISHED``.
    state: str
    host_session_id: str | None = None
    host: str | None = None
    creator_session_id: str | None = None
    created_at: datetime | None = None
    last_activity: datetime | None = None
    game_started_at: datetime | None = None
    #: The room's newest game; once it is over, ``GET /api/replays/{last_game_id}`` replays it.
    last_game_id: str | None = None
    players: list[Member] = []
    spectators: list[Member] = []
    player_count: int = 0
    capacity: int = 0
    invite_path: str = ""

    def member(self, session_id: str) -> Member | None:
        """The player or spectator with ``session_id``, if present."""
        return next((m for m in (*self.players, *self.spectators) if m.session_id == session_id), None)


class LobbyPage(msgspec.Struct, kw_only=True):
    """One page of the lobby; pass ``next_cursor`` back as ``cursor`` for the next (None: last page)."""

    rooms: list[Room]
    next_cursor: str | None = None


class Ticket(msgspec.Struct, kw_only=True):
    """A matchmaking ticket. ``status``: ``searching``, ``matched`` (then ``room_code`` names the room
    the session sits in), ``cancelled`` or ``expired``."""

    ticket_id: str
    game: str
    status: str
    queued_at: datetime
    room_code: str | None = None


class MatchmakingStats(msgspec.Struct, kw_only=True):
    """A game's queue: tickets searching, matchmaking rooms filling, and the median wait (seconds) of
    its recently matched tickets."""

    searching: int
    open_rooms: int
    median_wait_seconds: float


class Project(msgspec.Struct, kw_only=True):
    """A workshop project (docs/workshop.md). ``content`` (``{"size", "cubes"}``) only where the API
    sends it: created, or read alone; as last saved."""

    id: str
    name: str
    description: str = ""
    owner: str
    collaborators: list[str] = []
    version: int
    saved_at: datetime
    created_at: datetime
    updated_at: datetime | None = None
    content: dict[str, object] | None = None


class ProjectVersion(msgspec.Struct, kw_only=True):
    """A saved version; ``content`` only when one version is read."""

    version: int
    cubes: int
    saved_at: datetime
    #: Who pressed save; None for an autosave.
    saved_by: str | None = None
    auto: bool = False
    content: dict[str, object] | None = None
