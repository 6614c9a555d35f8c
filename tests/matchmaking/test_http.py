"""Matchmaking over HTTP: tickets, errors, allocation, countdown and expiry (time moved, never slept)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from roomservice.config import Settings
from roomservice.model import iso
from roomservice.web.app import create_app
from tests.conftest import Api, User
from tests.fakes import ManualScheduler

HUDDLE = "tests.matchmaking.games:Huddle"


@pytest.fixture
def sched() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
async def mm_app(settings: Settings, sched: ManualScheduler) -> AsyncIterator[FastAPI]:
    settings.games = HUDDLE
    app = create_app(settings, clock=sched, scheduler=sched, background=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def mm(mm_app: FastAPI) -> AsyncIterator[Api]:
    helper = Api(mm_app)
    yield helper
    await helper.close()


async def queue(user: User, game: str = "huddle", status: int = 201, **body: Any) -> dict[str, Any]:
    resp = await user.http.post(f"/api/matchmaking/{game}/tickets", json=body or None)
    assert resp.status_code == status, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def ticket(user: User, ticket_id: str) -> dict[str, Any]:
    resp = await user.http.get(f"/api/matchmaking/tickets/{ticket_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def room(user: User, code: str) -> dict[str, Any]:
    resp = await user.http.get(f"/api/rooms/{code}")
    assert resp.status_code == 200, resp.text
    return resp.json()["room"]  # type: ignore[no-any-return]


async def users(mm: Api, n: int, prefix: str = "p") -> list[User]:
    return [await mm.user(f"{prefix}{i}") for i in range(n)]


async def test_two_tickets_for_tictactoe_make_a_started_match(mm: Api, sched: ManualScheduler) -> None:
    alice, bob = await mm.user("alice"), await mm.user("bob")
    a = await queue(alice, "tictactoe")
    assert set(a) == {"ticket_id", "game", "status", "queued_at"}
    assert a["game"] == "tictactoe" and a["status"] == "searching" and a["queued_at"] == iso(sched.now())
    assert (await ticket(alice, a["ticket_id"]))["status"] == "searching"
    b = await queue(bob, "tictactoe")
    assert b["status"] == "searching"  # as filed; the match follows at once
    mine = await ticket(alice, a["ticket_id"])
    assert mine["status"] == "matched"
    assert (await ticket(bob, b["ticket_id"]))["room_code"] == mine["room_code"]
    match = await room(alice, mine["room_code"])
    assert match["name"] == "Match " + mine["room_code"] and match["private"] is True
    assert [p["username"] for p in match["players"]] == ["alice", "bob"]
    assert match["state"] == "IN_GAME"  # two is full for tic-tac-toe: no countdown
    lobby = (await alice.http.get("/api/rooms")).json()["rooms"]
    assert mine["room_code"] not in [r["room_code"] for r in lobby]
    # started: the tickets are no longer live, but the sessions play in a game
    assert (await queue(alice, "tictactoe", 409))["error"]["code"] == "already_in_game"


async def test_errors(mm: Api) -> None:
    alice, bob = await mm.user("alice"), await mm.user("bob")
    assert (await queue(alice, "chess", 404))["error"]["code"] == "game_not_found"
    assert (await queue(alice, "huddle", 422, options={"rounds": 99}))["error"]["code"] == "invalid_options"
    assert (await queue(alice, "huddle", 422, options=[1]))["error"]["code"] == "invalid_options"
    t = await queue(alice)
    again = await queue(alice, "tictactoe", 409)
    assert again["error"]["code"] == "already_queued" and again["error"]["ticket_id"] == t["ticket_id"]
    for method in ("GET", "DELETE"):
        resp = await bob.http.request(method, f"/api/matchmaking/tickets/{t['ticket_id']}")
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "ticket_not_found"
    assert (await bob.http.get("/api/matchmaking/tickets/nope")).status_code == 404
    assert (await mm.client().post("/api/matchmaking/huddle/tickets")).status_code == 401
    resp = await alice.http.delete(f"/api/matchmaking/tickets/{t['ticket_id']}")
    assert resp.status_code == 200 and resp.json() == {"status": "cancelled"}
    assert (await ticket(alice, t["ticket_id"]))["status"] == "cancelled"
    assert (await queue(alice))["status"] == "searching"  # cancelled: free to queue again
    assert (await mm.client().get("/api/matchmaking/chess")).json()["error"]["code"] == "game_not_found"


async def test_cancel_after_the_match_is_refused(mm: Api) -> None:
    alice, bob = await mm.user("alice"), await mm.user("bob")
    a = await queue(alice, "tictactoe")
    await queue(bob, "tictactoe")
    resp = await alice.http.delete(f"/api/matchmaking/tickets/{a['ticket_id']}")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "already_matched"
    assert (await ticket(alice, a["ticket_id"]))["status"] == "matched"


async def test_a_waiting_room_is_left_when_matched(mm: Api) -> None:
    alice, bob = await mm.user("alice"), await mm.user("bob")
    own = (await alice.create_room("mine", "cabo"))["room_code"]
    a = await queue(alice, "tictactoe")
    assert (await room(alice, own))["player_count"] == 1  # still there while searching
    await queue(bob, "tictactoe")
    code = (await ticket(alice, a["ticket_id"]))["room_code"]
    assert (await alice.http.get(f"/api/rooms/{own}")).status_code == 404  # left, and it closed empty
    assert alice.session_id in [p["session_id"] for p in (await room(alice, code))["players"]]


async def test_a_session_in_a_game_cannot_queue(mm: Api) -> None:
    alice, bob = await mm.user("alice"), await mm.user("bob")
    code = (await alice.create_room("t", "tictactoe"))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    err = (await queue(bob, "cabo", 409))["error"]
    assert err["code"] == "already_in_game" and err["room"]["room_code"] == code


async def test_the_minimum_starts_a_countdown_and_the_room_starts_when_it_ends(
    mm: Api, sched: ManualScheduler
) -> None:
    players = await users(mm, 3)
    tickets = [await queue(p) for p in players[:2]]
    assert [(await ticket(p, t["ticket_id"]))["status"] for p, t in zip(players, tickets, strict=False)] == [
        "searching",
        "searching",
    ]
    tickets.append(await queue(players[2]))
    code = (await ticket(players[0], tickets[0]["ticket_id"]))["room_code"]
    match = await room(players[0], code)
    assert match["state"] == "WAITING" and match["player_count"] == 3
    assert match["config"]["min_players"] == 3 and match["config"]["max_players"] == 5
    await sched.advance(9.9)
    assert (await room(players[0], code))["state"] == "WAITING"
    late = await mm.user("late")
    t4 = await queue(late)
    assert (await ticket(late, t4["ticket_id"]))["room_code"] == code  # joins the counting-down room
    await sched.advance(0.2)
    started = await room(players[0], code)
    assert started["state"] == "IN_GAME" and started["player_count"] == 4
    # A started room takes nobody more: the next ticket searches in a new group.
    t5 = await queue(await mm.user("next"))
    assert t5["status"] == "searching"


async def test_twelve_fill_two_rooms_and_the_last_two_wait_for_a_thirteenth(
    mm: Api, sched: ManualScheduler
) -> None:
    players = await users(mm, 13)
    tickets = [await queue(p) for p in players[:12]]
    seen = [await ticket(p, t["ticket_id"]) for p, t in zip(players, tickets, strict=False)]
    codes = [s.get("room_code") for s in seen]
    assert [s["status"] for s in seen] == ["matched"] * 10 + ["searching"] * 2
    assert len(set(codes[:5])) == 1 and len(set(codes[5:10])) == 1 and codes[0] != codes[5]
    for code in (codes[0], codes[5]):
        full = await room(players[0], code)
        assert full["state"] == "IN_GAME" and full["player_count"] == 5  # full: started at once
    stats = (await mm.client().get("/api/matchmaking/huddle")).json()
    assert stats == {"searching": 2, "open_rooms": 1, "median_wait_seconds": 0.0}
    await sched.advance(60)
    assert (await ticket(players[11], tickets[11]["ticket_id"]))["status"] == "searching"
    last = await queue(players[12])
    code = (await ticket(players[12], last["ticket_id"]))["room_code"]
    assert (await ticket(players[10], tickets[10]["ticket_id"]))["room_code"] == code
    assert (await room(players[0], code))["state"] == "WAITING"
    await sched.advance(10)
    started = await room(players[0], code)
    assert started["state"] == "IN_GAME" and started["player_count"] == 3
    stats = (await mm.client().get("/api/matchmaking/huddle")).json()
    assert stats["searching"] == 0 and stats["open_rooms"] == 0
    assert stats["median_wait_seconds"] == 0.0  # ten waited 0 s, three waited 60 s


async def test_an_unmatched_ticket_expires(mm: Api, sched: ManualScheduler) -> None:
    alice, bob = await mm.user("alice"), await mm.user("bob")
    a = await queue(alice)
    await sched.advance(119)
    assert (await ticket(alice, a["ticket_id"]))["status"] == "searching"
    await sched.advance(1)
    assert (await ticket(alice, a["ticket_id"]))["status"] == "expired"
    assert (await mm.client().get("/api/matchmaking/huddle")).json()["searching"] == 0
    resp = await alice.http.delete(f"/api/matchmaking/tickets/{a['ticket_id']}")
    assert resp.status_code == 200 and resp.json() == {"status": "expired"}
    # the expired ticket holds no place: a new one starts a group of its own with bob's
    await queue(bob)
    assert (await queue(alice))["status"] == "searching"


async def test_a_player_leaving_during_the_countdown_frees_the_seat(
    mm: Api, mm_app: FastAPI, sched: ManualScheduler
) -> None:
    players = await users(mm, 5)
    tickets = [await queue(p) for p in players[:3]]
    code = (await ticket(players[0], tickets[0]["ticket_id"]))["room_code"]
    assert (await players[1].http.post(f"/api/rooms/{code}/leave")).status_code == 200
    await mm_app.state.services.matchmaker.idle()  # the leave reaches it through the room's channel
    assert (await ticket(players[1], tickets[1]["ticket_id"]))["status"] == "cancelled"
    t3 = await queue(players[3])
    assert (await ticket(players[3], t3["ticket_id"]))["room_code"] == code
    t4 = await queue(players[4])
    assert (await ticket(players[4], t4["ticket_id"]))["room_code"] == code
    assert (await room(players[0], code))["player_count"] == 4
    await sched.advance(10)
    assert (await room(players[0], code))["state"] == "IN_GAME"


async def test_options_make_separate_queues(mm: Api) -> None:
    players = await users(mm, 3)
    a = await queue(players[0], options={"rounds": 2})
    await queue(players[1], options={"rounds": 3})
    await queue(players[2])
    assert (await ticket(players[0], a["ticket_id"]))["status"] == "searching"
    assert (await mm.client().get("/api/matchmaking/huddle")).json()["open_rooms"] == 3


async def test_one_sessions_racing_requests_give_one_201_and_one_409(mm: Api) -> None:
    alice = await mm.user("alice")
    for _ in range(5):
        first, second = await asyncio.gather(
            alice.http.post("/api/matchmaking/huddle/tickets"),
            alice.http.post("/api/matchmaking/huddle/tickets"),
        )
        assert sorted([first.status_code, second.status_code]) == [201, 409]
        winner = first if first.status_code == 201 else second
        loser = second if winner is first else first
        assert loser.json()["error"]["code"] == "already_queued"
        assert loser.json()["error"]["ticket_id"] == winner.json()["ticket_id"]
        await alice.http.delete(f"/api/matchmaking/tickets/{winner.json()['ticket_id']}")


@pytest.fixture
async def quick(settings: Settings, sched: ManualScheduler) -> AsyncIterator[Api]:
    settings.games = HUDDLE
    settings.match_countdown = 3
    settings.match_timeout = 30
    app = create_app(settings, clock=sched, scheduler=sched, background=False)
    async with app.router.lifespan_context(app):
        helper = Api(app)
        yield helper
        await helper.close()


async def test_the_countdown_and_the_timeout_come_from_the_settings(
    quick: Api, sched: ManualScheduler
) -> None:
    players = await users(quick, 4)
    lonely = await queue(players[3], options={"rounds": 9})
    tickets = [await queue(p) for p in players[:3]]
    code = (await ticket(players[0], tickets[0]["ticket_id"]))["room_code"]
    await sched.advance(2.9)
    assert (await room(players[0], code))["state"] == "WAITING"
    await sched.advance(0.1)
    assert (await room(players[0], code))["state"] == "IN_GAME"
    await sched.advance(26.9)
    assert (await ticket(players[3], lonely["ticket_id"]))["status"] == "searching"
    await sched.advance(0.1)
    assert (await ticket(players[3], lonely["ticket_id"]))["status"] == "expired"
