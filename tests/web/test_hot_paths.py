"""join and leave as their fast path serves them, and what falls back to the usual validation; the
session copy kept in process; a password room joined in one transaction."""

from __future__ import annotations

import dataclasses

from roomservice.rooms.model import RoomConfig
from tests.conftest import Api
from tests.web.test_rooms import error


async def test_join_bodies_served_directly(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("r", "cabo", config={"allow_spectators": True}))["room_code"]
    joined = await bob.http.post(f"/api/rooms/{code}/join", json={})
    assert joined.status_code == 200, joined.text
    assert [p["username"] for p in joined.json()["players"]] == ["alice", "bob"]
    watching = await carol.http.post(f"/api/rooms/{code}/join", json={"spectator": True, "extra": 1})
    assert watching.status_code == 200, watching.text
    assert [s["username"] for s in watching.json()["room"]["spectators"]] == ["carol"]
    left = await carol.http.post(f"/api/rooms/{code}/leave")
    assert left.json()["deleted"] is False and left.json()["room"]["spectators"] == []


async def test_join_bodies_that_need_validation(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    for content, ctype in [
        (b'{"spectator": "maybe"}', "application/json"),
        (b'{"password": 5}', "application/json"),
        (b"[1, 2]", "application/json"),
        (b"{not json", "application/json"),
    ]:
        resp = await bob.http.post(
            f"/api/rooms/{code}/join", content=content, headers={"content-type": ctype}
        )
        error(resp, 422, "validation_error")
    # Booleans are booleans: a string that reads like one is refused too, like "private": "yes".
    resp = await bob.http.post(
        f"/api/rooms/{code}/join",
        content=b'{"spectator": "false"}',
        headers={"content-type": "application/json"},
    )
    error(resp, 422, "validation_error")
    resp = await bob.http.post(
        f"/api/rooms/{code}/join",
        content=b'{"spectator": false}',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 200, resp.text


async def test_join_and_leave_need_a_session(api: Api) -> None:
    alice = await api.user("alice")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    anonymous = api.client()
    error(await anonymous.post(f"/api/rooms/{code}/join", json={}), 401, "unauthorized")
    error(await anonymous.post(f"/api/rooms/{code}/leave"), 401, "unauthorized")
    anonymous.headers["Authorization"] = "Bearer nonsense"
    error(await anonymous.post(f"/api/rooms/{code}/join"), 401, "invalid_token")
    error(await alice.http.post("/api/rooms/ZZZZZZ/join", json={}), 404, "room_not_found")


async def test_rename_shows_in_the_next_join(api: Api) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    assert (await bob.http.get("/api/session")).json()["username"] == "bob"
    assert (await bob.http.patch("/api/session", json={"username": "robert"})).status_code == 200
    assert (await bob.http.get("/api/session")).json()["username"] == "robert"
    joined = (await bob.http.post(f"/api/rooms/{code}/join")).json()
    assert [p["username"] for p in joined["players"]] == ["alice", "robert"]


async def test_password_room_join(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("r", "cabo", password="sesame"))["room_code"]
    error(await bob.http.post(f"/api/rooms/{code}/join", json={"password": "nope"}), 403, "wrong_password")
    error(await bob.http.post(f"/api/rooms/{code}/join"), 403, "wrong_password")
    ok = await bob.http.post(f"/api/rooms/{code}/join", json={"password": "sesame"})
    assert ok.status_code == 200, ok.text
    # Already seated: the seat comes back without the password being asked again.
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    other = (await carol.create_room("c", "cabo"))["room_code"]
    error(
        await carol.http.post(f"/api/rooms/{code}/join", json={"password": "sesame"}), 409, "already_in_room"
    )
    assert other


def test_room_config_to_dict_has_every_field() -> None:
    config = RoomConfig(4, 2, 600, allow_spectators=True, keep_when_empty=True, reconnect_grace_seconds=5)
    assert config.to_dict() == dataclasses.asdict(config)
