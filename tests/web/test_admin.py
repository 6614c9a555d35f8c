"""The admin console's API: absent without a token, guarded with one; every room found, a room in
detail without a hidden card, kick, end a stuck game, close, the sessions online; each action logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from roomservice.config import Settings
from roomservice.web.app import create_app
from roomservice.web.pages import CSP
from tests.conftest import Api, FakeClock, RemoteApi, Server, User
from tests.realtime.wsclient import Sock
from tests.web.test_rooms import error

TOKEN = "admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin_settings(settings: Settings) -> Settings:
    settings.admin_token = TOKEN
    return settings


@pytest.fixture
async def admin_app(admin_settings: Settings, clock: FakeClock) -> AsyncIterator[FastAPI]:
    application = create_app(admin_settings, clock=clock, background=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def people(admin_app: FastAPI) -> AsyncIterator[Api]:
    helper = Api(admin_app)
    yield helper
    await helper.close()


@pytest.fixture
def operator(people: Api) -> httpx.AsyncClient:
    client = people.client()
    client.headers.update(ADMIN)
    return client


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_without_a_token_configured_there_is_no_console(api: Api) -> None:
    client = api.client()
    client.headers.update(ADMIN)
    for path in ("/admin", "/api/admin/rooms", "/api/admin/sessions", "/api/admin/rooms/ABCDEF"):
        error(await client.get(path), 404, "not_found")
    error(await client.post("/api/admin/rooms/ABCDEF/end"), 404, "not_found")


async def test_the_token_is_needed(people: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="roomservice.admin")
    client = people.client()
    error(await client.get("/api/admin/rooms"), 401, "unauthorized")
    error(
        await client.get("/api/admin/rooms", headers={"Authorization": "Bearer wrong"}), 403, "invalid_token"
    )
    alice = await people.user("alice")  # a session's own token is not the admin token
    error(await alice.http.get("/api/admin/rooms"), 403, "invalid_token")
    assert [r for r in caplog.records if r.name == "roomservice.admin" and "wrong token" in r.getMessage()]
    assert not [r for r in caplog.records if TOKEN in r.getMessage() or alice.token in r.getMessage()]
    # The page is served (it asks for the token itself), with the pages' policy.
    page = await client.get("/admin")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    assert '<script type="module" src="/static/pages/admin.js">' in page.text


async def test_rooms_are_found_private_ones_too(people: Api, operator: httpx.AsyncClient) -> None:
    alice, bob = await people.user("alice"), await people.user("bobby")
    alpha = (await alice.create_room("Alpha night", "tictactoe"))["room_code"]
    beta = (await bob.create_room("Secret", "cabo", private=True))["room_code"]

    listed = await _ok(await operator.get("/api/admin/rooms"))
    assert {r["room_code"] for r in listed["rooms"]} == {alpha, beta}
    for room in listed["rooms"]:
        assert room["sockets"] == 0 and room["age_seconds"] >= 0 and room["players"]

    async def found(q: str) -> list[str]:
        body = await _ok(await operator.get("/api/admin/rooms", params={"q": q}))
        return [r["room_code"] for r in body["rooms"]]

    assert await found("alpha") == [alpha]  # part of a name, any case
    assert await found("BOBB") == [beta]  # a member's username
    assert await found(beta.lower()) == [beta]  # a code
    assert await found("cabo") == [beta]  # a game
    assert await found("nobody here") == []
    error(await operator.get("/api/admin/rooms", params={"q": "x" * 41}), 422, "validation_error")


async def _cabo(people: Api, names: tuple[str, str] = ("ann", "ben")) -> tuple[User, User, str, str]:
    ann, ben = await people.user(names[0]), await people.user(names[1])
    code = (await ann.create_room("cards", "cabo", private=True))["room_code"]
    await _ok(await ben.http.post(f"/api/rooms/{code}/join"))
    started = await _ok(await ann.http.post(f"/api/rooms/{code}/start"))
    return ann, ben, code, started["room"]["last_game_id"]


async def test_a_room_in_detail_shows_no_hidden_card(people: Api, operator: httpx.AsyncClient) -> None:
    _, _, code, game_id = await _cabo(people)
    detail = await _ok(await operator.get(f"/api/admin/rooms/{code.lower()}"))
    assert detail["room"]["room_code"] == code and detail["room"]["state"] == "IN_GAME"
    members = {m["username"]: m for m in detail["members"]}
    assert members["ann"]["host"] and not members["ben"]["host"]
    assert not members["ann"]["online"]  # no socket
    game = detail["game"]
    assert game["game_id"] == game_id and game["game"] == "cabo" and game["result"] is None
    # The spectator's view: every card face down shows no rank, and it is nobody's own view.
    state = game["state"]
    assert state["you"] is None and state["drawn"] is None
    cards = [card for hand in state["hands"].values() for card in hand]
    assert len(cards) == 8 and all(c["rank"] is None for c in cards if not c["face_up"])
    # Recent frames: the room's public ones; the players' own views never.
    kinds = [f["type"] for f in detail["frames"]]
    assert "player_joined" in kinds and "game_state" in kinds
    for frame in detail["frames"]:
        if frame["frame"] is None:  # only players got it, each their own (no spectator sits here)
            assert frame["type"] in ("game_state", "game_event")
        else:
            assert frame["type"] != "game_state"
            assert frame["frame"]["type"] == frame["type"] and frame["frame"]["seq"] == frame["seq"]
    assert detail["replay_path"] is None  # the game runs
    error(await operator.get("/api/admin/rooms/NOSUCH"), 404, "room_not_found")


async def test_an_operator_ends_a_stuck_game_and_watches_its_replay(
    people: Api, operator: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="roomservice.admin")
    ann, _, code, game_id = await _cabo(people)
    ended = await _ok(await operator.post(f"/api/admin/rooms/{code}/end"))
    assert ended["room"]["state"] == "FINISHED"
    # As the host's own /end: the room is FINISHED and the game's result is abandoned.
    room = await _ok(await ann.http.get(f"/api/rooms/{code}"))
    assert room["room"]["state"] == "FINISHED" and room["room"]["last_game_id"] == game_id
    error(await operator.post(f"/api/admin/rooms/{code}/end"), 409, "game_not_running")
    detail = await _ok(await operator.get(f"/api/admin/rooms/{code}"))
    assert detail["replay_path"] == f"/replay/{game_id}"
    # A private room's replay: its players and the operator may watch it, nobody else.
    replay = await _ok(await operator.get(f"/api/replays/{game_id}"))
    assert replay["result"] == {"winners": [], "abandoned": True}
    assert replay["steps"][-1]["action"]["kind"] == "end" and replay["steps"][-1]["action"]["player"] is None
    stranger = await people.user("stranger")
    error(await stranger.http.get(f"/api/replays/{game_id}"), 404, "replay_not_found")
    logged = [
        r for r in caplog.records if r.name == "roomservice.admin" and "ended the game" in r.getMessage()
    ]
    assert len(logged) == 1 and logged[0].room == code  # type: ignore[attr-defined]


async def test_kick_and_close(
    people: Api, operator: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="roomservice.admin")
    ann, ben = await people.user("ann"), await people.user("ben")
    code = (await ann.create_room("r", "tictactoe"))["room_code"]
    await _ok(await ben.http.post(f"/api/rooms/{code}/join"))
    # The host too can be removed by an operator; the seat and the host's role move on.
    kicked = await _ok(
        await operator.post(f"/api/admin/rooms/{code}/kick", json={"session_id": ann.session_id})
    )
    assert [p["username"] for p in kicked["players"]] == ["ben"] and kicked["room"]["host"] == "ben"
    body = {"session_id": ann.session_id}
    error(await operator.post(f"/api/admin/rooms/{code}/kick", json=body), 404, "not_in_room")
    closed = await _ok(await operator.delete(f"/api/admin/rooms/{code}"))
    assert closed == {"room_code": code, "room_id": kicked["room_id"], "deleted": True}
    error(await ben.http.get(f"/api/rooms/{code}"), 404, "room_not_found")
    messages = [r.getMessage() for r in caplog.records if r.name == "roomservice.admin"]
    assert any(f"kicked session {ann.session_id} in room {code}" in m for m in messages), messages
    assert any(f"closed the room in room {code}" in m for m in messages), messages


@pytest.fixture
def admin_server_settings(server_settings: Settings) -> Settings:
    server_settings.admin_token = TOKEN
    return server_settings


async def test_sessions_online_and_figures(
    admin_server_settings: Settings, server: Server, remote: RemoteApi
) -> None:
    ann, ben = await remote.user("ann"), await remote.user("ben")
    code = (await ann.create_room("r", "tictactoe"))["room_code"]
    a = await Sock.open(server, ann)
    await a.expect("room_state")
    b = await Sock.open(server, ben)
    await b.send({"type": "lobby_subscribe"})
    await b.expect("lobby_snapshot")
    async with httpx.AsyncClient(base_url=server.http, headers=ADMIN) as operator:
        online = await _ok(await operator.get("/api/admin/sessions"))
        assert online["sessions"] == [
            {"session_id": ann.session_id, "username": "ann", "room_code": code, "lobby": False},
            {"session_id": ben.session_id, "username": "ben", "room_code": None, "lobby": True},
        ]
        listed = await _ok(await operator.get("/api/admin/rooms"))
        assert listed["rooms"][0]["sockets"] == 1
        detail = await _ok(await operator.get(f"/api/admin/rooms/{code}"))
        assert detail["members"][0]["online"] is True
        figures = await _ok(await operator.get("/api/admin/metrics"))
    assert figures["metrics"] is True and figures["sockets_open"] == 2 and figures["sessions_online"] == 2
    assert figures["rooms"] == {"WAITING": 1, "IN_GAME": 0, "FINISHED": 0}
    assert figures["frames_out"] >= 2 and figures["frames_in"] == 1 and figures["http_requests"] >= 3
    await a.close()
    await b.close()
