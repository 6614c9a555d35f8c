"""Bots queue through matchmaking and play the matches they are put in, over a real server."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.bots.__main__ import main, parser
from roomservice.bots.queue import run_bots
from tests.conftest import Api, Server


async def test_two_bots_queue_play_and_land_on_the_leaderboard(server: Server, remote: Api) -> None:
    lines: list[str] = []
    played = await run_bots(server.http, "tictactoe", 2, games=2, seed=7, say=lines.append)
    assert [p.name for p in played] == ["bot 1", "bot 2"]
    assert [p.games for p in played] == [2, 2]
    assert sum(p.wins for p in played) <= 2  # a draw wins nobody
    assert sum("matched into room" in line for line in lines) == 4
    viewer = await remote.user("viewer")
    # The last game's result is shown before its room is finished, in whose transaction the
    # leaderboard counts it: a moment later.
    for _ in range(100):
        board = (await viewer.http.get("/api/leaderboards/tictactoe")).json()
        if sum(e["played"] for e in board["entries"]) == 4:
            break
        await asyncio.sleep(0.05)
    assert board["total"] == 2
    assert sorted((e["username"], e["played"]) for e in board["entries"]) == [("bot 1", 2), ("bot 2", 2)]
    assert sorted(e["wins"] for e in board["entries"]) == sorted(p.wins for p in played)


async def test_a_bot_plays_a_person(server: Server, remote: Api) -> None:
    """One bot queued; a person's ticket meets it and the game starts with both seated."""
    bots = asyncio.ensure_future(run_bots(server.http, "tictactoe", 1, seed=1))
    person = await remote.user("person")
    for _ in range(200):  # until the bot's ticket is in the queue
        stats = (await person.http.get("/api/matchmaking/tictactoe")).json()
        if stats["searching"]:
            break
        await asyncio.sleep(0.02)
    ticket = (await person.http.post("/api/matchmaking/tictactoe/tickets")).json()
    status = (await person.http.get(f"/api/matchmaking/tickets/{ticket['ticket_id']}")).json()
    assert status["status"] == "matched"
    room = (await person.http.get(f"/api/rooms/{status['room_code']}")).json()["room"]
    assert sorted(p["username"] for p in room["players"]) == ["bot 1", "person"]
    assert room["state"] == "IN_GAME"
    assert (await person.http.post(f"/api/rooms/{status['room_code']}/leave")).status_code == 200
    (bot,) = await asyncio.wait_for(bots, 10)
    assert (bot.games, bot.wins) == (1, 1)  # the person forfeited by leaving


def test_the_command_line_refuses_what_it_cannot_do(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["queue", "chess"])
    with pytest.raises(SystemExit):
        parser().parse_args(["queue", "tictactoe", "--count", "0"])
    args = parser().parse_args(["queue", "cabo", "--count", "3", "--games", "0"])
    assert (args.game, args.count, args.games, args.url) == ("cabo", 3, 0, "http://127.0.0.1:8000")
    assert main(["queue", "tictactoe", "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot reach" in capsys.readouterr().err
