"""Recording finished games into the leaderboards, and reading them a page at a time.

A game's end is recorded inside the transaction that marks its room FINISHED (``RoomService.finish``),
so a room is finished with its results counted or not at all. Who is ranked is the seat's account when
its session has one (under the account's username, whichever device played), else the session itself
(``Session.owner_id``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.errors import Invalid
from roomservice.games.registry import GameRegistry
from roomservice.leaderboards.index import DatabaseIndex, LeaderboardIndex
from roomservice.model import Room, Session
from roomservice.store import leaderboards as repo
from roomservice.store.database import Database
from roomservice.store.games import GameRecord
from roomservice.store.leaderboards import Total, results_of
from roomservice.types import Clock

log = logging.getLogger(__name__)

LIMIT_MAX = 100
#: The furthest a page may start: beyond any leaderboard, within every database's integers.
OFFSET_MAX = 1_000_000_000
#: What ``around`` accepts: the caller.
AROUND_ME = "me"

Record = Callable[[AsyncConnection, Room | None], Awaitable[None]]


class Recorder:
    """Counts one finished game: called in the transaction that finishes its room (a ``Record``),
    then :meth:`published` once that transaction has committed, to tell the leaderboard index."""

    def __init__(self, boards: Leaderboards, record: GameRecord, result: Mapping[str, Any]) -> None:
        self.boards = boards
        self.record = record
        self.result = result
        self._totals: list[Total] = []

    async def __call__(self, conn: AsyncConnection, room: Room | None) -> None:
        if await self.boards.record(conn, self.record, self.result) and self.boards.keeps_index:
            lines = await results_of(conn, self.record.game_id)
            self._totals = await repo.totals(conn, self.record.game, lines)

    async def published(self) -> None:
        """Tell the index the counted players' new totals; a failure is logged, never raised (the game
        is counted in the database either way, and an index rebuilds from it)."""
        if not self._totals:
            return
        game = self.boards.games.get(self.record.game)
        try:
            await self.boards.index.changed(game.id, game.score_order, self._totals)
        except Exception:
            log.exception("leaderboard index not told of game %s", self.record.game_id)


class Leaderboards:
    """``index``: where pages are read from (default: the database itself, ``DatabaseIndex``); an
    index of another kind is told every counted game's new totals after its commit."""

    def __init__(
        self, db: Database, games: GameRegistry, clock: Clock, index: LeaderboardIndex | None = None
    ) -> None:
        self.db = db
        self.games = games
        self.clock = clock
        self.index: LeaderboardIndex = index if index is not None else DatabaseIndex(db)
        self.keeps_index = not isinstance(self.index, DatabaseIndex)

    def recorder(self, record: GameRecord, result: Mapping[str, Any]) -> Recorder:
        """What the room's finish runs in its transaction to count this game."""
        return Recorder(self, record, result)

    async def record(self, conn: AsyncConnection, record: GameRecord, result: Mapping[str, Any]) -> bool:
        """Add one finished game to its leaderboard (once: False if it was counted already)."""
        game = self.games.get(record.game)
        try:
            standings = game.standings(result, record.players)
        except Exception:  # a bug in a game's standings must not keep its room from finishing
            log.exception("game %s failed in standings(); game %s is not counted", game.id, record.game_id)
            return False
        who = await repo.players(conn, list(standings))
        bots = set(record.bots)  # a bot's seat gets no line
        lines: dict[str, repo.Line] = {}
        # Best placement first: an account seated twice in one game (two devices) counts once, as its best.
        for p, s in sorted(standings.items(), key=lambda item: item[1].placement):
            if p in who and p not in bots and who[p][0] not in lines:
                player_id, name = who[p]
                lines[player_id] = repo.Line(player_id, name, s.placement, s.win, s.score)
        return await repo.record(
            conn,
            game_id=record.game_id,
            game=game.id,
            total=game.score_total,
            lines=list(lines.values()),
            at=self.clock(),
        )

    async def page(
        self,
        game_id: str,
        *,
        limit: int = 20,
        offset: int = 0,
        around: str | None = None,
        session: Session | None = None,
    ) -> dict[str, Any]:
        """``{entries, total}``: ``limit`` entries from ``offset``, or centred on the caller when
        ``around`` is ``"me"`` (from the top when they have no entry yet)."""
        game = self.games.get(game_id)
        if not 1 <= limit <= LIMIT_MAX:
            raise Invalid("invalid_limit", f"limit is between 1 and {LIMIT_MAX}.")
        if not 0 <= offset <= OFFSET_MAX:
            raise Invalid("invalid_offset", f"offset is between 0 and {OFFSET_MAX}.")
        if around is not None and around != AROUND_ME:
            raise Invalid("invalid_around", "around is 'me' (the caller's own entry), or left out.")
        if around is not None and session is not None:
            place = await self.index.place_of(game.id, game.score_order, session.owner_id)
            offset = 0 if place is None else max(0, place - 1 - (limit - 1) // 2)
        entries, total = await self.index.page(game.id, game.score_order, limit=limit, offset=offset)
        return {"entries": [e.to_dict() for e in entries], "total": total}
