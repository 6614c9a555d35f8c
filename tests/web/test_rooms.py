"""The room lifecycle over HTTP, on SQLite and PostgreSQL: every rule and every error code."""

from __future__ import annotations

import re
import uuid

from tests.conftest import Api, User

CODE = re.compile(r"[A-HJ-NP-Z2-9]{6}")


def error(resp: object, status: int, code: str) -> dict[str, object]:
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    body = resp.json()["error"]  # type: ignore[attr-defined]
    assert body["code"] == code, body
    assert body["message"]
    return body  # type: ignore[no-any-return]


async def test_create_room_seats_creator_as_host(api: Api) -> None:
    alice = await api.user("alice")
    body = await alice.create_room("Friday night", "cabo")
    room = body["room"]
    assert CODE.fullmatch(body["room_code"])
    assert uuid.UUID(body["room_id"])
    assert room["name"] == "Friday night" and room["game"] == "cabo"
    assert room["state"] == "WAITING"
    assert room["host_session_id"] == alice.session_id == room["creator_session_id"]
    assert room["config"] == {
        "max_players": 6,
        "min_players": 2,
        "timeout_seconds": 600,
        "allow_spectators": False,
        "keep_when_empty": False,
        "reconnect_grace_seconds": 60,
        "bots": 0,
    }
    assert [p["session_id"] for p in room["players"]] == [alice.session_id]
    assert room["has_password"] is False and "password" not in room
    got = await alice.http.get(f"/api/rooms/{body['room_code'].lower()}")
    assert got.status_code == 200
    assert got.json()["room"]["room_id"] == body["room_id"]
    assert got.json()["players"][0]["username"] == "alice"


async def test_create_alias_and_validation(api: Api) -> None:
    alice = await api.user("alice")
    resp = await alice.http.post("/api/rooms/create", json={"name": "Alias", "game": "tictactoe"})
    assert resp.status_code == 201
    bob = await api.user("bob")
    error(await bob.http.post("/api/rooms", json={"name": "", "game": "cabo"}), 422, "invalid_name")
    error(
        await bob.http.post("/api/rooms", json={"name": "x" * 41, "game": "cabo"}),
        422,
        "invalid_name",
    )
    error(await bob.http.post("/api/rooms", json={"name": "x", "game": "nope"}), 404, "game_not_found")
    error(
        await bob.http.post("/api/rooms", json={"game": "cabo", "name": "x", "config": {"max_players": 9}}),
        422,
        "invalid_config",
    )
    error(
        await bob.http.post("/api/rooms", json={"game": "cabo", "name": "x", "config": {"min_players": 1}}),
        422,
        "invalid_config",
    )
    error(
        await bob.http.post("/api/rooms", json={"game": "cabo", "name": "x", "config": {"colour": 1}}),
        422,
        "invalid_config",
    )
    error(await bob.http.post("/api/rooms", json={"name": "x"}), 422, "validation_error")
    error(
        await api.client().post("/api/rooms", json={"name": "x", "game": "cabo"}),
        401,
        "unauthorized",
    )


async def test_config_defaults_and_partial_config(api: Api) -> None:
    alice = await api.user("alice")
    room = (await alice.create_room("r", "cabo", config={"max_players": 4, "allow_spectators": True}))["room"]
    assert room["config"]["max_players"] == 4
    assert room["config"]["min_players"] == 2
    assert room["config"]["allow_spectators"] is True
    assert room["capacity"] == 4


async def test_join_leave_and_host_migration(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    for user in (bob, carol):
        resp = await user.http.post(f"/api/rooms/{code}/join")
        assert resp.status_code == 200, resp.text
    room = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert [p["username"] for p in room["players"]] == ["alice", "bob", "carol"]
    # Joining again is idempotent and returns the same seat.
    again = await bob.http.post(f"/api/rooms/{code}/join")
    assert again.status_code == 200
    assert [p["username"] for p in again.json()["room"]["players"]] == ["alice", "bob", "carol"]
    # The host leaves: the longest-seated player takes over.
    left = await alice.http.post(f"/api/rooms/{code}/leave")
    assert left.status_code == 200
    assert left.json()["room"]["host_session_id"] == bob.session_id
    error(await alice.http.post(f"/api/rooms/{code}/leave"), 409, "not_in_room")
    # The last player out deletes the room.
    await bob.http.post(f"/api/rooms/{code}/leave")
    last = await carol.http.post(f"/api/rooms/{code}/leave")
    assert last.json()["deleted"] is True
    error(await carol.http.get(f"/api/rooms/{code}"), 404, "room_not_found")


async def test_room_kept_when_config_says_so(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo", config={"keep_when_empty": True}))["room_code"]
    await alice.http.post(f"/api/rooms/{code}/leave")
    room = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert room["players"] == [] and room["host_session_id"] is None
    # The next player in becomes host.
    joined = await bob.http.post(f"/api/rooms/{code}/join")
    assert joined.json()["room"]["host_session_id"] == bob.session_id


async def test_one_room_per_session(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    first = await alice.create_room("first", "cabo")
    other = await bob.create_room("other", "cabo")
    body = error(await alice.http.post(f"/api/rooms/{other['room_code']}/join"), 409, "already_in_room")
    assert body["room"]["room_code"] == first["room_code"]  # type: ignore[index]
    error(
        await alice.http.post("/api/rooms", json={"name": "second", "game": "cabo"}),
        409,
        "already_in_room",
    )


async def test_room_limit_lists_the_rooms(api: Api) -> None:
    alice = await api.user("alice")
    codes = []
    for i in range(5):
        code = (await alice.create_room(f"r{i}", "cabo", config={"keep_when_empty": True}))["room_code"]
        codes.append(code)
        assert (await alice.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    body = error(await alice.http.post("/api/rooms", json={"name": "six", "game": "cabo"}), 409, "room_limit")
    assert sorted(r["room_code"] for r in body["rooms"]) == sorted(codes)  # type: ignore[attr-defined]
    # The creator can free a slot even though they are no longer host.
    assert (await alice.http.delete(f"/api/rooms/{codes[0]}")).status_code in (200, 204)
    assert (await alice.http.post("/api/rooms", json={"name": "six", "game": "cabo"})).status_code == 201


async def test_capacity(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("ttt", "tictactoe"))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    error(await carol.http.post(f"/api/rooms/{code}/join"), 409, "room_full")


async def test_password_rooms(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    created = await alice.create_room("secret", "cabo", password="hunter2")
    code = created["room_code"]
    assert created["room"]["has_password"] is True
    assert "hunter2" not in str(created)
    error(await bob.http.post(f"/api/rooms/{code}/join"), 403, "wrong_password")
    error(
        await bob.http.post(f"/api/rooms/{code}/join", json={"password": "nope"}),
        403,
        "wrong_password",
    )
    ok = await bob.http.post(f"/api/rooms/{code}/join", json={"password": "hunter2"})
    assert ok.status_code == 200
    # Already seated: no password needed to get the seat back.
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200


async def test_private_room_is_unlisted_but_reachable(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    created = await alice.create_room("hidden", "cabo", private=True)
    code = created["room_code"]
    lobby = (await bob.http.get("/api/rooms")).json()["rooms"]
    assert code not in {r["room_code"] for r in lobby}
    assert (await bob.http.get(f"/api/rooms/{code}")).status_code == 200
    invite = await bob.http.get(created["room"]["invite_path"])
    assert invite.status_code == 200 and invite.json()["room"]["room_code"] == code
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200


async def test_spectators(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    closed = (await alice.create_room("no watchers", "tictactoe"))["room_code"]
    error(
        await bob.http.post(f"/api/rooms/{closed}/join", json={"spectator": True}),
        403,
        "spectators_not_allowed",
    )
    await alice.http.post(f"/api/rooms/{closed}/leave")
    code = (await alice.create_room("ttt", "tictactoe", config={"allow_spectators": True}))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    watched = await carol.http.post(f"/api/rooms/{code}/join", json={"spectator": True})
    assert watched.status_code == 200
    room = watched.json()["room"]
    assert [s["username"] for s in room["spectators"]] == ["carol"]
    assert room["player_count"] == 2  # spectators take no seat


async def test_host_only_controls(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    error(await bob.http.post(f"/api/rooms/{code}/start"), 403, "not_host")
    error(await bob.http.patch(f"/api/rooms/{code}/config", json={"max_players": 3}), 403, "not_host")
    error(await bob.http.delete(f"/api/rooms/{code}"), 403, "not_host")
    error(
        await bob.http.post(f"/api/rooms/{code}/kick", json={"session_id": alice.session_id}),
        403,
        "not_host",
    )


async def test_configure(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    for u in (bob, carol):
        await u.http.post(f"/api/rooms/{code}/join")
    resp = await alice.http.patch(
        f"/api/rooms/{code}/config", json={"max_players": 4, "allow_spectators": True}
    )
    assert resp.status_code == 200
    config = resp.json()["room"]["config"]
    assert config["max_players"] == 4 and config["allow_spectators"] is True and config["min_players"] == 2
    error(
        await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 2}),
        422,
        "invalid_config",
    )
    error(
        await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 7}),
        422,
        "invalid_config",
    )
    # The same rules, and the same code, as a create's config.
    error(
        await alice.http.patch(f"/api/rooms/{code}/config", json={"bogus": 1}),
        422,
        "invalid_config",
    )
    error(
        await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": "many"}),
        422,
        "invalid_config",
    )


async def test_start_rules(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    error(await alice.http.post(f"/api/rooms/{code}/start"), 409, "not_enough_players")
    await bob.http.post(f"/api/rooms/{code}/join")
    started = await alice.http.post(f"/api/rooms/{code}/start")
    assert started.status_code == 200
    room = started.json()["room"]
    assert room["state"] == "IN_GAME" and room["game_started_at"] is not None
    error(await alice.http.post(f"/api/rooms/{code}/start"), 409, "game_in_progress")
    error(
        await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 3}),
        409,
        "game_in_progress",
    )
    error(await carol.http.post(f"/api/rooms/{code}/join"), 409, "game_in_progress")


async def test_kick_and_delete(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    error(
        await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": alice.session_id}),
        422,
        "cannot_kick_self",
    )
    error(
        await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": "nobody"}),
        404,
        "not_in_room",
    )
    error(await alice.http.post(f"/api/rooms/{code}/kick", json={}), 422, "validation_error")
    kicked = await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": bob.session_id})
    assert kicked.status_code == 200
    assert [p["username"] for p in kicked.json()["room"]["players"]] == ["alice"]
    assert (await bob.http.get("/api/session")).json()["room_code"] is None
    deleted = await alice.http.delete(f"/api/rooms/{code}")
    assert deleted.status_code in (200, 204)
    error(await alice.http.get(f"/api/rooms/{code}"), 404, "room_not_found")
    assert (await alice.http.get("/api/session")).json()["room_code"] is None


async def test_unknown_code_everywhere_is_404(api: Api) -> None:
    alice = await api.user("alice")
    for method, path, body in [
        ("GET", "/api/rooms/ZZZZZZ", None),
        ("POST", "/api/rooms/ZZZZZZ/join", {}),
        ("POST", "/api/rooms/ZZZZZZ/leave", None),
        ("POST", "/api/rooms/ZZZZZZ/start", None),
        ("PATCH", "/api/rooms/ZZZZZZ/config", {"max_players": 3}),
        ("POST", "/api/rooms/ZZZZZZ/kick", {"session_id": "x"}),
        ("DELETE", "/api/rooms/ZZZZZZ", None),
    ]:
        error(await alice.http.request(method, path, json=body), 404, "room_not_found")


async def test_malformed_json_is_422(api: Api) -> None:
    alice: User = await api.user("alice")
    resp = await alice.http.post(
        "/api/rooms", content=b"{not json", headers={"content-type": "application/json"}
    )
    error(resp, 422, "validation_error")


async def test_booleans_are_booleans(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    for private in ("yes", "true", 1, "1"):
        error(
            await alice.http.post("/api/rooms", json={"name": "x", "game": "cabo", "private": private}),
            422,
            "validation_error",
        )
    for flag in ("allow_spectators", "keep_when_empty"):
        error(
            await alice.http.post("/api/rooms", json={"name": "x", "game": "cabo", "config": {flag: "yes"}}),
            422,
            "invalid_config",
        )
    code = (await alice.create_room("r", "cabo"))["room_code"]
    for flag in ("allow_spectators", "keep_when_empty"):
        for value in ("yes", 1, "true"):
            body = error(
                await alice.http.patch(f"/api/rooms/{code}/config", json={flag: value}),
                422,
                "invalid_config",
            )
            assert body["fields"] == [{"field": flag, "message": f"{flag} must be true or false."}]
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["room"]["config"]["allow_spectators"] is False
    error(
        await bob.http.post(f"/api/rooms/{code}/join", json={"spectator": "yes"}),
        422,
        "validation_error",
    )


async def _in_game(api: Api) -> tuple[User, User, str]:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("t", "tictactoe"))["room_code"]
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    return alice, bob, code


async def test_kick_during_a_game_does_not_deadlock_the_room(api: Api) -> None:
    alice, bob, code = await _in_game(api)
    kicked = await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": bob.session_id})
    assert kicked.status_code == 200
    # The game heard of it before the answer: bob forfeited, the room is FINISHED.
    assert kicked.json()["room"]["state"] == "FINISHED"
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["room"]["state"] == "FINISHED"
    # bob may sit down again and the host may start the next game.
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    again = await alice.http.post(f"/api/rooms/{code}/start")
    assert again.status_code == 200 and again.json()["room"]["state"] == "IN_GAME"


async def test_leaving_during_a_game_finishes_it(api: Api) -> None:
    alice, bob, code = await _in_game(api)
    left = await bob.http.post(f"/api/rooms/{code}/leave")
    assert left.status_code == 200 and left.json()["room"]["state"] == "FINISHED"
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200


async def test_end_a_running_game(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("t", "tictactoe"))["room_code"]
    error(await alice.http.post(f"/api/rooms/{code}/end"), 409, "game_not_running")
    await bob.http.post(f"/api/rooms/{code}/join")
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    error(await bob.http.post(f"/api/rooms/{code}/end"), 403, "not_host")
    error(await api.client().post(f"/api/rooms/{code}/end"), 401, "unauthorized")
    error(await alice.http.post("/api/rooms/ZZZZZZ/end"), 404, "room_not_found")
    ended = await alice.http.post(f"/api/rooms/{code}/end")
    assert ended.status_code == 200 and ended.json()["room"]["state"] == "FINISHED"
    error(await alice.http.post(f"/api/rooms/{code}/end"), 409, "game_not_running")
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
