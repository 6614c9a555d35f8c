"""Leaderboards: finished games counted once, ranked the way each game declares, served a page at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update

from roomservice.config import Settings
from roomservice.games.arena.game import Arena
from roomservice.games.base import Standing
from roomservice.games.cabo.game import Cabo
from roomservice.games.registry import GameRegistry
from roomservice.games.tictactoe.game import TicTacToe
from roomservice.services import Services
from roomservice.store.games import GameRecord
from roomservice.store.models import LeaderboardResultRow, LeaderboardRow, RoomRow
from roomservice.web.app import create_app
from tests.conftest import Api, FakeClock, User


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Served alongside the built-in games.
    settings.games = "tests.leaderboards.test_leaderboards:Broken"
    return settings


class Broken(TicTacToe):
    """Tic-tac-toe whose leaderboard lines fail."""

    id = "broken_board"

    def standings(self, result: Mapping[str, Any], players: Sequence[str]) -> dict[str, Standing]:
        raise RuntimeError("a bug")


def _services(app: FastAPI) -> Services:
    return app.state.services  # type: ignore[no-any-return]


async def _record(app: FastAPI, game: str, game_id: str, players: list[str], result: dict[str, Any]) -> bool:
    svc = _services(app)
    record = GameRecord(game_id, "room", 1, game, 1, {}, players, False, 0.0)
    async with svc.db.write() as conn:
        return await svc.leaderboards.record(conn, record, result)


async def _board(user: User, game: str, **params: Any) -> dict[str, Any]:
    resp = await user.http.get(f"/api/leaderboards/{game}", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def test_a_finished_game_is_on_the_leaderboard(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("t", "tictactoe"))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    assert (await _board(alice, "tictactoe")) == {"entries": [], "total": 0}
    # Bob leaves mid-game: he forfeits, alice wins, the room finishes and the game is counted.
    assert (await bob.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    room = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert room["state"] == "FINISHED"
    board = await _board(alice, "tictactoe")
    assert board == {
        "entries": [
            {
                "rank": 1,
                "username": "alice",
                "player_id": alice.session_id,
                "wins": 1,
                "played": 1,
                "score": 1,
            },
            {"rank": 2, "username": "bob", "player_id": bob.session_id, "wins": 0, "played": 1, "score": 0},
        ],
        "total": 2,
    }
    # Another game of the same room adds up.
    carol = await api.user("carol")
    assert (await carol.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    entries = (await _board(carol, "tictactoe"))["entries"]
    assert [(e["username"], e["rank"], e["wins"], e["played"]) for e in entries] == [
        ("alice", 1, 1, 2),
        ("carol", 1, 1, 1),
        ("bob", 3, 0, 1),
    ]


async def test_a_game_whose_standings_fail_still_finishes_its_room(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("t", "broken_board"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    await alice.http.post(f"/api/rooms/{code}/start")
    await bob.http.post(f"/api/rooms/{code}/leave")
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["room"]["state"] == "FINISHED"
    assert (await _board(alice, "broken_board"))["total"] == 0


async def test_a_game_ended_by_its_host_counts_for_nobody(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("t", "tictactoe"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    await alice.http.post(f"/api/rooms/{code}/start")
    assert (await alice.http.post(f"/api/rooms/{code}/end")).status_code == 200
    assert (await _board(alice, "tictactoe"))["total"] == 0


async def test_ties_share_a_rank_and_cabo_ranks_the_best_lowest_total(app: FastAPI, api: Api) -> None:
    users = [await api.user(name) for name in ("ann", "ben", "cat", "dan")]
    a, b, c, d = (u.session_id for u in users)
    totals = {"winners": [a], "totals": {a: 40, b: 40, c: 101, d: 70}, "rounds": 5}
    assert await _record(app, "cabo", "g1", [a, b, c, d], totals)
    assert not await _record(app, "cabo", "g1", [a, b, c, d], totals)  # counted once
    # ben's better game (a lower total) is what counts; cat's worse one changes nothing.
    assert await _record(app, "cabo", "g2", [b, c], {"winners": [b], "totals": {b: 12, c: 120}, "rounds": 3})
    entries = (await _board(users[0], "cabo"))["entries"]
    assert [(e["username"], e["rank"], e["score"], e["wins"], e["played"]) for e in entries] == [
        ("ben", 1, 12, 1, 2),
        ("ann", 2, 40, 1, 1),
        ("dan", 3, 70, 0, 1),
        ("cat", 4, 101, 0, 2),
    ]
    # Equal scores share a rank and the next rank skips: 1, 1, 3.
    games = ((a, b), (b, d), (a, c), (b, c), (c, d))  # ann and ben win twice, cat once
    for n, (winner, loser) in enumerate(games):
        assert await _record(app, "tictactoe", f"t{n}", [winner, loser], {"winners": [winner], "draw": False})
    board = await _board(users[0], "tictactoe")
    assert [(e["username"], e["rank"], e["score"]) for e in board["entries"]] == [
        ("ann", 1, 2),
        ("ben", 1, 2),
        ("cat", 3, 1),
        ("dan", 4, 0),
    ]


async def test_the_arena_ranks_total_kills(app: FastAPI, api: Api) -> None:
    users = [await api.user(name) for name in ("ann", "ben", "cat")]
    a, b, c = (u.session_id for u in users)
    result = {
        "winners": [a],
        "placement": {a: 1, b: 2, c: 2},
        "kills": {a: 5, b: 2, c: 2},
        "deaths": {a: 0, b: 3, c: 4},
        "reason": "time",
    }
    await _record(app, "arena", "m1", [a, b, c], result)
    await _record(app, "arena", "m2", [b, c], {**result, "winners": [b], "kills": {b: 4, c: 0}})
    entries = (await _board(users[0], "arena"))["entries"]
    assert [(e["username"], e["rank"], e["score"], e["wins"]) for e in entries] == [
        ("ben", 1, 6, 1),
        ("ann", 2, 5, 1),
        ("cat", 3, 2, 0),
    ]


async def test_pages_and_around_me(app: FastAPI, api: Api) -> None:
    users = [await api.user(f"p{n:02d}") for n in range(12)]
    for n, user in enumerate(users):  # p00 has 0 kills ... p11 has 11
        result = {"winners": [], "placement": {user.session_id: 1}, "kills": {user.session_id: n}}
        await _record(app, "arena", f"m{n}", [user.session_id], result)
    page = await _board(users[0], "arena", limit=3, offset=3)
    assert page["total"] == 12
    assert [(e["username"], e["rank"]) for e in page["entries"]] == [("p08", 4), ("p07", 5), ("p06", 6)]
    around = await _board(users[5], "arena", limit=5, around="me")
    assert [e["username"] for e in around["entries"]] == ["p07", "p06", "p05", "p04", "p03"]
    top = await _board(users[11], "arena", limit=5, around="me")
    assert [e["username"] for e in top["entries"]][:2] == ["p11", "p10"]
    stranger = await api.user("new")
    assert [e["username"] for e in (await _board(stranger, "arena", limit=2, around="me"))["entries"]] == [
        "p11",
        "p10",
    ]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/leaderboards/nope", 404, "game_not_found"),
        ("/api/leaderboards/arena?limit=0", 422, "invalid_limit"),
        ("/api/leaderboards/arena?limit=101", 422, "invalid_limit"),
        ("/api/leaderboards/arena?offset=-1", 422, "invalid_offset"),
        ("/api/leaderboards/arena?offset=100000000000000000000", 422, "invalid_offset"),
        ("/api/leaderboards/arena?limit=ten", 422, "validation_error"),
        ("/api/leaderboards/arena?around=you", 422, "invalid_around"),
    ],
)
async def test_bad_requests(api: Api, path: str, status: int, code: str) -> None:
    user = await api.user("ann")
    resp = await user.http.get(path)
    assert resp.status_code == status and resp.json()["error"]["code"] == code


async def test_around_me_needs_a_session(api: Api) -> None:
    resp = await api.client().get("/api/leaderboards/arena?around=me")
    assert resp.status_code == 401


def test_games_declare_how_they_rank() -> None:
    assert (TicTacToe.score_total, TicTacToe.score_order) == ("sum", "desc")
    assert (Cabo.score_total, Cabo.score_order) == ("min", "asc")
    assert (Arena.score_total, Arena.score_order) == ("sum", "desc")

    class Upside(TicTacToe):
        id = "upside"
        score_order = "up"

    with pytest.raises(ValueError, match="score_order"):
        GameRegistry([Upside()])


async def test_a_game_over_whose_room_was_not_finished_is_counted_after_a_restart(
    settings: Settings, clock: FakeClock
) -> None:
    """The result was saved but the server stopped before the room finished: on restart the room
    finishes and the game is counted then, once."""
    app = create_app(settings, clock=clock, background=False)
    async with app.router.lifespan_context(app):
        api = Api(app)
        alice, bob = await api.user("alice"), await api.user("bob")
        code = (await alice.create_room("t", "tictactoe"))["room_code"]
        await bob.http.post(f"/api/rooms/{code}/join")
        await alice.http.post(f"/api/rooms/{code}/start")
        await bob.http.post(f"/api/rooms/{code}/leave")
        assert (await _board(alice, "tictactoe"))["total"] == 2
        # As if the server had stopped between saving the result and finishing the room.
        svc = _services(app)
        async with svc.db.write() as conn:
            await conn.execute(update(RoomRow).where(RoomRow.code == code).values(state="IN_GAME"))
            await conn.execute(delete(LeaderboardRow))
            await conn.execute(delete(LeaderboardResultRow))
        await api.close()
    again = create_app(settings, clock=clock, background=False)
    async with again.router.lifespan_context(again):
        api = Api(again)
        viewer = await api.user("viewer")
        assert (await viewer.http.get(f"/api/rooms/{code}")).json()["room"]["state"] == "FINISHED"
        entries = (await _board(viewer, "tictactoe"))["entries"]
        assert [(e["username"], e["wins"], e["played"]) for e in entries] == [("alice", 1, 1), ("bob", 0, 1)]
        await api.close()


async def test_a_bot_seat_never_reaches_the_leaderboard(app: FastAPI, api: Api) -> None:
    ann, ben = await api.user("ann"), await api.user("ben")
    svc = _services(app)
    record = GameRecord(
        "g-bot",
        "room",
        1,
        "tictactoe",
        1,
        {},
        [ann.session_id, ben.session_id],
        False,
        0.0,
        bots=[ben.session_id],
    )
    async with svc.db.write() as conn:
        assert await svc.leaderboards.record(conn, record, {"winners": [ben.session_id], "draw": False})
    board = await _board(ann, "tictactoe")
    assert [(e["username"], e["played"]) for e in board["entries"]] == [("ann", 1)]
