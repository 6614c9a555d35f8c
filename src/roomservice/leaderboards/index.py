"""Where leaderboard pages are read from: the database itself (the default), or an index kept in step
with it (``leaderboards.redis``: a Redis sorted set per game).

The database is the record either way: a finished game is counted there, in the transaction that
finishes its room; an index is told the counted players' new totals after that commit, and must answer
exactly as the database would: the same entries in the same order with the same ranks (competition
ranking over the score, in the game's ``score_order``), the same total, the same place for a player.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from roomservice.store import leaderboards as repo
from roomservice.store.database import Database
from roomservice.store.leaderboards import Entry, Total


class LeaderboardIndex(Protocol):
    """Reads of one deployment's leaderboards; ``order`` is the game's ``score_order`` (``asc``:
    lower scores first, ``desc``: higher first). Ties on the score share a rank (1, 1, 3); within a
    tie, more wins first, then by username and player id."""

    async def page(self, game: str, order: str, *, limit: int, offset: int) -> tuple[list[Entry], int]:
        """``limit`` entries from place ``offset`` (0 is first), and how many players the game has."""
        ...

    async def place_of(self, game: str, order: str, player_id: str) -> int | None:
        """Where the player is listed (1 is first); None when they have no entry."""
        ...

    async def changed(self, game: str, order: str, totals: Sequence[Total]) -> None:
        """These players' totals, as just committed to the database."""
        ...


class DatabaseIndex:
    """The leaderboards read from the database on every request (ranks by ``RANK()``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(self, game: str, order: str, *, limit: int, offset: int) -> tuple[list[Entry], int]:
        async with self.db.read() as conn:
            return await repo.page(conn, game, order, limit=limit, offset=offset)

    async def place_of(self, game: str, order: str, player_id: str) -> int | None:
        async with self.db.read() as conn:
            return await repo.place_of(conn, game, order, player_id)

    async def changed(self, game: str, order: str, totals: Sequence[Total]) -> None:
        """Nothing to do: the database is read directly."""
