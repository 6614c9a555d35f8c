"""Queries on leaderboards. Each runs inside a transaction the caller owns.

A finished game's lines go into ``leaderboard_results`` (one per player, keyed by game and player, so a
game is counted once however often its end is seen) and are added into ``leaderboard`` in the same
transaction. Ranks are computed by the database (``RANK()``: equal scores share a rank, the next one
skips, 1, 1, 3) over the whole game, so a page's ranks do not depend on the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.store.models import AccountRow, LeaderboardResultRow, LeaderboardRow, SessionRow

results = cast(Table, LeaderboardResultRow.__table__)
board = cast(Table, LeaderboardRow.__table__)
sessions = cast(Table, SessionRow.__table__)
accounts = cast(Table, AccountRow.__table__)


def _insert_for(dialect: str) -> Any:
    """The dialect's INSERT that takes ``ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL both do)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One player's result of one finished game."""

    player_id: str
    username: str
    placement: int
    win: bool
    score: float


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    rank: int
    username: str
    player_id: str
    wins: int
    played: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        score: float | int = int(self.score) if self.score.is_integer() else self.score
        return {
            "rank": self.rank,
            "username": self.username,
            "player_id": self.player_id,
            "wins": self.wins,
            "played": self.played,
            "score": score,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Total:
    """A player's row of one game's leaderboard, as stored; ``played`` grows by one with every game
    counted, so a larger one is a newer row."""

    player_id: str
    username: str
    wins: int
    played: int
    score: float


async def totals(conn: AsyncConnection, game: str, player_ids: Sequence[str] | None = None) -> list[Total]:
    """The game's leaderboard rows: every one, or those of ``player_ids``."""
    query = select(board.c.player_id, board.c.username, board.c.wins, board.c.played, board.c.score).where(
        board.c.game == game
    )
    if player_ids is not None:
        query = query.where(board.c.player_id.in_(list(player_ids)))
    rows = await conn.execute(query.order_by(board.c.player_id))
    return [Total(r[0], r[1], int(r[2]), int(r[3]), float(r[4])) for r in rows]


async def results_of(conn: AsyncConnection, game_id: str) -> list[str]:
    """The players a finished game was counted for."""
    rows = await conn.execute(select(results.c.player_id).where(results.c.game_id == game_id))
    return [row[0] for row in rows]


async def players(conn: AsyncConnection, session_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Who each of these sessions is ranked as: ``(player_id, username)``, its account's id and
    username when it has one, else the session's own id and current name (players who left before the
    end are no longer members, so their sessions are read)."""
    if not session_ids:
        return {}
    rows = await conn.execute(
        select(
            sessions.c.id,
            func.coalesce(sessions.c.account_id, sessions.c.id),
            func.coalesce(accounts.c.username, sessions.c.username),
        )
        .select_from(sessions.outerjoin(accounts, accounts.c.id == sessions.c.account_id))
        .where(sessions.c.id.in_(session_ids))
    )
    return {row[0]: (row[1], row[2]) for row in rows}


async def record(
    conn: AsyncConnection, *, game_id: str, game: str, total: str, lines: Sequence[Line], at: float
) -> bool:
    """Add a finished game's lines to the game's leaderboard; False (and nothing written) when this
    game was recorded already. ``total`` is how scores add up: sum, min or max."""
    if not lines:
        return False
    seen = await conn.execute(select(func.count()).select_from(results).where(results.c.game_id == game_id))
    if seen.scalar_one():
        return False
    await conn.execute(
        insert(results),
        [
            {
                "game_id": game_id,
                "player_id": line.player_id,
                "game": game,
                "placement": line.placement,
                "win": line.win,
                "score": line.score,
                "finished_at": at,
            }
            for line in lines
        ],
    )
    # One upsert per player: two games finishing at once for one player (who left the first for the
    # second) add up instead of racing to insert the same row.
    upsert = _insert_for(conn.dialect.name)(board)
    new = upsert.excluded
    if total == "sum":
        score: Any = board.c.score + new.score
    else:
        better = new.score < board.c.score if total == "min" else new.score > board.c.score
        score = case((better, new.score), else_=board.c.score)
    statement = upsert.on_conflict_do_update(
        index_elements=[board.c.game, board.c.player_id],
        set_={
            "username": new.username,
            "wins": board.c.wins + new.wins,
            "played": board.c.played + 1,
            "score": score,
            "updated_at": new.updated_at,
        },
    )
    await conn.execute(
        statement,
        [
            {
                "game": game,
                "player_id": line.player_id,
                "username": line.username,
                "wins": int(line.win),
                "played": 1,
                "score": line.score,
                "updated_at": at,
            }
            for line in lines
        ],
    )
    return True


def _ranked(game: str, order: str) -> Any:
    """The game's leaderboard with each row's rank (shared by ties) and place in the listing."""
    score = board.c.score.desc() if order == "desc" else board.c.score.asc()
    listing = (score, board.c.wins.desc(), board.c.username, board.c.player_id)
    return (
        select(
            func.rank().over(order_by=score).label("rank"),
            func.row_number().over(order_by=listing).label("place"),
            board.c.username,
            board.c.player_id,
            board.c.wins,
            board.c.played,
            board.c.score,
        )
        .where(board.c.game == game)
        .subquery()
    )


async def page(
    conn: AsyncConnection, game: str, order: str, *, limit: int, offset: int
) -> tuple[list[Entry], int]:
    """A page of the game's leaderboard, best first, and how many players it holds."""
    ranked = _ranked(game, order)
    rows = await conn.execute(
        select(
            ranked.c.rank,
            ranked.c.username,
            ranked.c.player_id,
            ranked.c.wins,
            ranked.c.played,
            ranked.c.score,
        )
        .order_by(ranked.c.place)
        .limit(limit)
        .offset(offset)
    )
    entries = [Entry(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), float(r[5])) for r in rows]
    total = await conn.execute(select(func.count()).select_from(board).where(board.c.game == game))
    return entries, int(total.scalar_one())


async def place_of(conn: AsyncConnection, game: str, order: str, player_id: str) -> int | None:
    """Where the player is listed (1 is first), or None when they are not on the leaderboard."""
    ranked = _ranked(game, order)
    found = await conn.execute(select(ranked.c.place).where(ranked.c.player_id == player_id))
    place = found.scalar_one_or_none()
    return None if place is None else int(place)
