"""What the OpenAPI schema says of success bodies. The routes answer with the dicts they already
build (``Room.to_dict()`` and friends, encoded by msgspec); these models only describe them, and the
schemathesis run checks every answer against them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

State = Literal["WAITING", "IN_GAME", "FINISHED"]


class Member(BaseModel):
    session_id: str
    username: str
    role: Literal["player", "spectator"]
    #: ISO 8601, UTC.
    joined_at: str
    #: A seat the server's bots play (the room's ``config.bots``).
    bot: bool


class RoomConfig(BaseModel):
    max_players: int
    min_players: int
    timeout_seconds: int
    allow_spectators: bool
    keep_when_empty: bool
    reconnect_grace_seconds: int
    bots: int


class Room(BaseModel):
    """A room as the lobby, the room routes and the socket's frames show it (never its password)."""

    room_id: str
    room_code: str
    name: str
    game: str
    has_password: bool
    private: bool
    config: RoomConfig
    state: State
    host_session_id: str | None
    host: str | None
    creator_session_id: str
    created_at: str
    last_activity: str
    game_started_at: str | None
    #: The room's newest game (its replay, once it is over), null before the first.
    last_game_id: str | None
    players: list[Member]
    spectators: list[Member]
    player_count: int
    capacity: int
    invite_path: str


class RoomBody(BaseModel):
    room_code: str
    room_id: str
    room: Room
    #: ``room.players``, repeated for convenience.
    players: list[Member]


class LeftRoom(BaseModel):
    """After leaving: the room as it now stands, or ``room: null`` and ``deleted: true`` when the
    last player left and it closed."""

    room_code: str
    room: Room | None
    deleted: bool
    room_id: str | None = None
    players: list[Member] | None = None


class Deleted(BaseModel):
    room_code: str
    room_id: str
    deleted: Literal[True]


class Lobby(BaseModel):
    rooms: list[Room]
    #: Pass as ``cursor`` for the next page; null on the last one.
    next_cursor: str | None


class Rooms(BaseModel):
    rooms: list[Room]


class SessionAccount(BaseModel):
    """The account a session belongs to."""

    id: str
    username: str


class Session(BaseModel):
    session_id: str
    username: str
    #: The session's account, or null for a guest.
    account: SessionAccount | None


class NewSession(Session):
    #: The bearer token (also set as the session cookie).
    token: str


class CurrentSession(Session):
    #: The room the session sits in, if any.
    room_code: str | None


class Account(BaseModel):
    id: str
    username: str
    #: ISO 8601, UTC.
    created_at: str


class AccountInfo(Account):
    #: Sessions of the account signed in now (this one included).
    sessions: int


class SignedUp(BaseModel):
    account: Account
    #: The current session, now the account's (it takes the account's username).
    session: Session


class SignedOut(BaseModel):
    #: How many other sessions were signed out.
    signed_out: int


class SocketTicket(BaseModel):
    ticket: str
    #: Seconds.
    expires_in: int


class GameInfo(BaseModel):
    id: str
    name: str
    description: str
    min_players: int
    max_players: int
    realtime: bool


class Games(BaseModel):
    games: list[GameInfo]


class Game(GameInfo):
    #: A JSON Schema of the options a host may pass at start.
    options_schema: dict[str, Any]


class Ticket(BaseModel):
    ticket_id: str
    game: str
    status: Literal["searching", "matched", "cancelled", "expired"]
    queued_at: str
    #: Once matched: the room the session was seated in.
    room_code: str | None = None


class Cancelled(BaseModel):
    status: Literal["searching", "matched", "cancelled", "expired"]


class QueueStats(BaseModel):
    searching: int
    open_rooms: int
    median_wait_seconds: float | None


class LeaderboardEntry(BaseModel):
    rank: int
    username: str
    player_id: str
    wins: int
    played: int
    score: float


class LeaderboardPage(BaseModel):
    entries: list[LeaderboardEntry]
    total: int


class ReplayStep(BaseModel):
    #: The logged step (null for the deal), or a ``tick`` stretch of a real-time game.
    action: dict[str, Any] | None
    #: The public events of the step.
    events: list[dict[str, Any]]
    #: The spectator's view after it.
    view: Any


class Replay(BaseModel):
    game_id: str
    game: str
    seed: int
    options: dict[str, Any]
    players: list[str]
    names: dict[str, str]
    #: Epoch milliseconds.
    started_at: int
    finished_at: int
    tick_stride: int | None
    steps: list[ReplayStep]
    result: dict[str, Any]


class Cube(BaseModel):
    x: int
    y: int
    z: int
    #: ``#rrggbb``.
    color: str


class Content(BaseModel):
    """A sculpture: cubes on a grid of ``size`` cells (x, y, z)."""

    size: list[int]
    cubes: list[Cube]


class Project(BaseModel):
    """A workshop project without its content; times ISO 8601, UTC."""

    id: str
    name: str
    description: str
    #: Usernames of accounts.
    owner: str
    collaborators: list[str]
    #: Saves so far (0: as created).
    version: int
    saved_at: str
    created_at: str
    updated_at: str


class ProjectWithContent(Project):
    #: As last saved.
    content: Content


class Projects(BaseModel):
    projects: list[Project]


class DeletedProject(BaseModel):
    id: str
    deleted: Literal[True]


class Version(BaseModel):
    version: int
    cubes: int
    saved_at: str
    #: The account that pressed save; null for an autosave.
    saved_by: str | None
    auto: bool


class Versions(BaseModel):
    versions: list[Version]


class VersionWithContent(Version):
    content: Content
