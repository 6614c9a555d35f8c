"""Database tables. Times are float seconds since the epoch (UTC), the same on every backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Server-wide values shared by every node, such as the generated token secret."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AccountRow(Base):
    """A person who can sign in from any device. ``username`` is unique whatever its case (the index
    on ``lower(username)``); ``password_hash`` is Argon2id."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(24))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Float)


Index("uq_accounts_username", func.lower(AccountRow.username), unique=True)


class SessionRow(Base):
    """A session: a guest's, or one of an account's (``account_id``). A revoked session (logged out,
    or signed out from another device) keeps its row, so its seats and results keep their names, but
    its token is refused."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    account_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True
    )
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_sessions_account", "account_id"),)


class RoomRow(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    game: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    # ``capacity``, ``idle_timeout`` and ``player_count`` mirror config and membership so the lobby and
    # the expiry task can sort and filter in SQL; they are written in the same transaction as their source.
    capacity: Mapped[int] = mapped_column(Integer)
    idle_timeout: Mapped[int] = mapped_column(Integer)
    player_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    host_session_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    creator_session_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[float] = mapped_column(Float)
    last_activity: Mapped[float] = mapped_column(Float)
    game_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (
        Index("ix_rooms_lobby", "private", "game", "state"),
        Index("ix_rooms_creator", "creator_session_id"),
        Index("ix_rooms_last_activity", "last_activity"),
    )


class MemberRow(Base):
    """A seat. ``session_id`` is the primary key: a session sits in at most one room, enforced by the
    database itself. ``seat`` orders members by arrival, so the longest-seated player is the lowest."""

    __tablename__ = "room_members"

    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[str] = mapped_column(String(36), ForeignKey("rooms.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    seat: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[float] = mapped_column(Float)
    #: A seat the server plays; its session row exists only for it and goes with it.
    bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_room_members_room", "room_id", "seat"),)


class GameRow(Base):
    """One game played in a room. ``game_no`` counts the room's games (play again adds one); the rules
    replay exactly from ``seed``, ``options``, ``dev`` and the action log."""

    __tablename__ = "games"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # No foreign key: a game's record outlives its room (results, history).
    room_id: Mapped[str] = mapped_column(String(36))
    game_no: Mapped[int] = mapped_column(Integer)
    game: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    players: Mapped[list[str]] = mapped_column(JSON)
    dev: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: Which of ``players`` were the server's bots (results without them: leaderboards).
    bots: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (UniqueConstraint("room_id", "game_no", name="uq_games_room_game_no"),)


class GameActionRow(Base):
    """The action log: every accepted step of a game, in order. ``step`` is the game's version after
    the step; ``kind`` is action, timeout, leave, rejoin or end; ``ticks`` the ticks applied before it.
    A real-time game logs the inputs applied between two of its ticks as one row of kind ``inputs``:
    ``payload`` is ``[[player, payload, at], ...]`` and ``step`` the last of those inputs' steps."""

    __tablename__ = "game_actions"

    game_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("games.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    player: Mapped[str | None] = mapped_column(String(36), nullable=True)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    ticks: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[float] = mapped_column(Float)


class GameSnapshotRow(Base):
    """A game's whole state after ``step`` steps and ``ticks`` ticks; kept (not overwritten) as the
    game's save states. A ticking game is saved every few seconds at the same step."""

    __tablename__ = "game_snapshots"

    game_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("games.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticks: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    state: Mapped[Any] = mapped_column(JSON)
    at: Mapped[float] = mapped_column(Float)


class RoomChatRow(Base):
    """A room's recent chat lines (the ``chat`` frames, oldest first), so its history survives a
    restart. Rewritten whole, at most about once a second per busy room, however fast it chats. No
    foreign key: lines are saved after the fact, and deleting a room deletes them."""

    __tablename__ = "room_chat"

    room_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[float] = mapped_column(Float)


class RoomSeqRow(Base):
    """The highest frame ``seq`` a room's owner may have sent, reserved ahead in blocks, so an owner
    that restarts continues above every number it ever sent; and the room's fence. No foreign key: it
    is written off the room's transactions and outlives nothing that matters once its room is gone."""

    __tablename__ = "room_seq"

    room_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hwm: Mapped[int] = mapped_column(BigInteger)
    #: The lease token of the room's newest owner (fencing): a write of the room carrying a lower
    #: token comes from an owner that lost the room, and is refused.
    fence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LeaderboardResultRow(Base):
    """One player's line of one finished game: what the leaderboard adds up, kept so the totals can be
    rebuilt and a game is never counted twice. ``player_id`` is who the leaderboard ranks: the session
    id today, the account id once accounts exist."""

    __tablename__ = "leaderboard_results"

    game_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    player_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    game: Mapped[str] = mapped_column(String(64))
    placement: Mapped[int] = mapped_column(Integer)
    win: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float] = mapped_column(Float)


class LeaderboardRow(Base):
    """A player's standing in one game's leaderboard: the sum of their results, written in the same
    transaction as those results; ``score`` adds up as the game declares (``Game.score_total``)."""

    __tablename__ = "leaderboard"

    game: Mapped[str] = mapped_column(String(64), primary_key=True)
    player_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(24))
    wins: Mapped[int] = mapped_column(Integer)
    played: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_leaderboard_game_score", "game", "score"),)


class ProjectRow(Base):
    """A workshop project: a sculpture owned by an account. ``content`` and ``version`` are the last
    save (version 0 at creation); edits made since live only in the open project's memory."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str] = mapped_column(String(36), ForeignKey("accounts.id", ondelete="CASCADE"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[float] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    #: Last change of anything: a save, a name, a collaborator.
    updated_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_projects_owner", "owner_id"),)


class ProjectCollaboratorRow(Base):
    """An account besides the owner that may open and change a project."""

    __tablename__ = "project_collaborators"

    project_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_project_collaborators_account", "account_id"),)


class ProjectVersionRow(Base):
    """Each save of a project's content, kept whole: version 0 is the content it was created with.
    ``saved_by`` is the account that pressed save, null for an autosave (``auto``)."""

    __tablename__ = "project_versions"

    project_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    cubes: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[float] = mapped_column(Float)
    saved_by: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
