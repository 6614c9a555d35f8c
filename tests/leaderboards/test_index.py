"""The leaderboard index contract, run on the database itself and on Redis sorted sets (the real Redis,
a key prefix per test), each on SQLite and PostgreSQL: every page, rank, total and place is the
database's own, ties included, however the index was filled or lost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from roomservice.games.registry import default_registry
from roomservice.leaderboards.index import DatabaseIndex, LeaderboardIndex
from roomservice.leaderboards.redis import RedisIndex
from roomservice.leaderboards.service import Leaderboards
from roomservice.model import Session
from roomservice.store import leaderboards as repo
from roomservice.store.database import Database
from roomservice.store.games import GameRecord
from roomservice.store.leaderboards import Line
from roomservice.store.migrate import upgrade
from roomservice.store.sessions import insert_session
from tests.conftest import REDIS_URL, FakeClock, unavailable


@dataclass
class Board:
    db: Database
    index: LeaderboardIndex
    redis: Redis | None
    games: int = 0

    async def count(
        self, game: str, total: str, order: str, lines: Sequence[tuple[str, str, bool, float]]
    ) -> None:
        """One finished game of ``(player, username, win, score)`` lines, counted in the database, then
        the index told (as the leaderboards do after the commit)."""
        self.games += 1
        game_id = f"{game}-{self.games}"
        async with self.db.write() as conn:
            counted = [Line(p, name, 1, win, score) for p, name, win, score in lines]
            await repo.record(
                conn, game_id=game_id, game=game, total=total, lines=counted, at=float(self.games)
            )
            totals = await repo.totals(conn, game, await repo.results_of(conn, game_id))
        await self.index.changed(game, order, totals)

    async def database_page(
        self, game: str, order: str, limit: int, offset: int
    ) -> tuple[list[repo.Entry], int]:
        async with self.db.read() as conn:
            return await repo.page(conn, game, order, limit=limit, offset=offset)

    async def database_place(self, game: str, order: str, player: str) -> int | None:
        async with self.db.read() as conn:
            return await repo.place_of(conn, game, order, player)

    async def lose(self) -> None:
        """Redis forgets the index (a flush, a new Redis); the database is the record."""
        if self.redis is not None and isinstance(self.index, RedisIndex):
            keys = [k async for k in self.redis.scan_iter(match=self.index.prefix + "*")]
            if keys:
                await self.redis.delete(*keys)


@pytest.fixture(params=["database", "redis"])
async def board(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Board]:
    db = Database(database_url)
    await upgrade(db)
    redis: Redis | None = None
    index: LeaderboardIndex = DatabaseIndex(db)
    prefix = f"rs-test-lb-{uuid.uuid4().hex[:10]}:"
    if request.param == "redis":
        redis = Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            await redis.ping()
        except Exception as exc:
            await redis.aclose()
            await db.close()
            unavailable("Redis at " + REDIS_URL, exc)
        index = RedisIndex(redis, db, prefix)
    try:
        yield Board(db, index, redis)
    finally:
        if redis is not None:
            keys = [k async for k in redis.scan_iter(match=prefix + "*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
        await db.close()


async def _same_as_the_database(board: Board, game: str, order: str, players: Sequence[str]) -> None:
    _, total = await board.database_page(game, order, 1, 0)
    for limit in (1, 2, 3, 50):
        for offset in range(total + 1):
            assert await board.index.page(
                game, order, limit=limit, offset=offset
            ) == await board.database_page(game, order, limit, offset), (limit, offset)
    for player in [*players, "nobody"]:
        assert await board.index.place_of(game, order, player) == await board.database_place(
            game, order, player
        )


async def test_ties_share_a_rank_and_the_next_rank_skips(board: Board) -> None:
    # Higher first: 10, 10, 7, 7, 7, 3 -> 1, 1, 3, 3, 3, 6. Within a tie: more wins, then the name.
    await board.count(
        "kills",
        "sum",
        "desc",
        [("p1", "cat", False, 10), ("p2", "bob", True, 10), ("p3", "ann", False, 7)],
    )
    await board.count(
        "kills", "sum", "desc", [("p4", "dan", False, 7), ("p5", "eve", False, 7), ("p6", "fay", True, 3)]
    )
    entries, total = await board.index.page("kills", "desc", limit=10, offset=0)
    assert total == 6
    assert [(e.rank, e.username, e.score) for e in entries] == [
        (1, "bob", 10),
        (1, "cat", 10),
        (3, "ann", 7),
        (3, "dan", 7),
        (3, "eve", 7),
        (6, "fay", 3),
    ]
    # A page further down keeps the ranks of the whole board.
    page, _ = await board.index.page("kills", "desc", limit=2, offset=3)
    assert [(e.rank, e.username) for e in page] == [(3, "dan"), (3, "eve")]
    await _same_as_the_database(board, "kills", "desc", ["p1", "p2", "p3", "p4", "p5", "p6"])


async def test_lower_first_games_and_totals_that_keep_the_best(board: Board) -> None:
    # Cabo's way: the best (lowest) final total counts, lower ranks first; fractional and negative
    # scores, names that sort apart only by case or length.
    games = [
        [("a", "Zed", True, 12.5), ("b", "zed", False, 30), ("c", "ze", False, -4)],
        [("a", "Zed", False, 20), ("b", "zed", True, 12.5), ("d", "Ann", True, 0)],
        [("c", "ze", True, -4), ("d", "Ann", False, 0), ("e", "émile", False, 0)],
    ]
    for lines in games:
        await board.count("cards", "min", "asc", lines)
    entries, total = await board.index.page("cards", "asc", limit=10, offset=0)
    assert total == 5
    assert [(e.rank, e.player_id, e.score, e.wins, e.played) for e in entries] == [
        (1, "c", -4, 1, 2),
        (2, "d", 0, 1, 2),
        (2, "e", 0, 0, 1),
        (4, "a", 12.5, 1, 2),
        (4, "b", 12.5, 1, 2),
    ]
    await _same_as_the_database(board, "cards", "asc", ["a", "b", "c", "d", "e"])


async def test_a_lost_index_is_rebuilt_from_the_database(board: Board) -> None:
    for n in range(30):
        await board.count("wins", "sum", "desc", [(f"p{n}", f"player{n:02d}", n % 3 == 0, float(n % 4))])
    await board.lose()
    await _same_as_the_database(board, "wins", "desc", [f"p{n}" for n in range(30)])
    # Later games keep it in step from there.
    await board.count("wins", "sum", "desc", [("p1", "player01", True, 9), ("p99", "late", False, 1)])
    await _same_as_the_database(board, "wins", "desc", ["p1", "p99"])


async def test_totals_told_late_or_twice_never_undo_newer_ones(board: Board) -> None:
    await board.count("wins", "sum", "desc", [("p1", "ann", True, 1), ("p2", "bob", False, 0)])
    async with board.db.read() as conn:
        first = await repo.totals(conn, "wins")
    await board.count("wins", "sum", "desc", [("p1", "ann", True, 1), ("p2", "bob", True, 1)])
    # The first game's totals arrive again, after the second's (a slow node, a retry).
    await board.index.changed("wins", "desc", first)
    await _same_as_the_database(board, "wins", "desc", ["p1", "p2"])
    entries, _ = await board.index.page("wins", "desc", limit=5, offset=0)
    assert [(e.username, e.score, e.played) for e in entries] == [("ann", 2, 2), ("bob", 1, 2)]


async def test_around_me_centres_the_page_on_the_caller(board: Board, clock: FakeClock) -> None:
    # Through the leaderboards themselves, on a game of the registry (tic-tac-toe: wins, higher first).
    boards = Leaderboards(board.db, default_registry(), clock, index=board.index)
    for n in range(9):
        await board.count("tictactoe", "sum", "desc", [(f"s{n}", f"player{n}", True, float(n))])
    me = Session("s2", "player2", 0.0)
    page = await boards.page("tictactoe", limit=3, around="me", session=me)
    assert [e["username"] for e in page["entries"]] == ["player3", "player2", "player1"]
    assert [e["rank"] for e in page["entries"]] == [6, 7, 8] and page["total"] == 9
    stranger = Session("nobody", "x", 0.0)
    top = await boards.page("tictactoe", limit=2, around="me", session=stranger)
    assert [e["rank"] for e in top["entries"]] == [1, 2]


async def test_a_finished_game_reaches_the_index_once_its_room_has_committed(
    board: Board, clock: FakeClock
) -> None:
    boards = Leaderboards(board.db, default_registry(), clock, index=board.index)
    assert await boards.page("tictactoe") == {"entries": [], "total": 0}  # an index built, empty
    async with board.db.write() as conn:
        for sid, name in (("s1", "ann"), ("s2", "bob")):
            await insert_session(conn, Session(sid, name, 0.0))
    record = GameRecord("g1", "room", 1, "tictactoe", 1, {}, ["s1", "s2"], False, 0.0)
    counting = boards.recorder(record, {"winners": ["s1"], "draw": False})
    async with board.db.write() as conn:
        await counting(conn, None)  # type: ignore[arg-type]  # the finishing room is not read
    await counting.published()
    page = await boards.page("tictactoe")
    assert [(e["username"], e["rank"], e["wins"]) for e in page["entries"]] == [("ann", 1, 1), ("bob", 2, 0)]
