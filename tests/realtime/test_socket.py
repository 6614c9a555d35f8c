"""The socket over a real uvicorn server: connecting, frames, errors, presence and HTTP-driven events."""

from __future__ import annotations

import pytest

from roomservice.config import Settings
from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock


async def test_bad_token_is_closed_4001(server: Server) -> None:
    sock = await Sock.open(server, token="forged")
    frame = await sock.next()
    assert frame["type"] == "error" and frame["code"] == "invalid_token"
    assert await sock.closed() == 4001
    nobody = await Sock.open(server, token="")
    assert (await nobody.next())["code"] == "unauthorized"
    assert await nobody.closed() == 4001


async def test_two_people_see_each_other_and_chat(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    a = await Sock.open(server, alice)
    state = await a.expect("room_state")
    assert state["room"]["room_code"] == code
    assert state["players"][0]["online"] is True and state["chat"] == []

    await bob.http.post(f"/api/rooms/{code}/join")
    joined = await a.expect("player_joined")
    assert joined["player"]["session_id"] == bob.session_id
    b = await Sock.open(server, bob)
    b_state = await b.expect("room_state")
    assert [p["username"] for p in b_state["players"]] == ["alice", "bob"]
    await a.expect("player_reconnected", session_id=bob.session_id)

    await b.send({"type": "chat", "text": "<b>hi</b> alice"})
    for sock in (a, b):
        chat = await sock.expect("chat")
        assert chat["from"] == "bob" and chat["text"] == "<b>hi</b> alice"
        assert chat["session_id"] == bob.session_id and chat["at"].endswith("Z")
    assert chat["seq"] > joined["seq"]

    # History arrives inside room_state for whoever joins next, not as chat frames.
    carol = await remote.user("carol")
    await carol.http.post(f"/api/rooms/{code}/join")
    c = await Sock.open(server, carol)
    c_state = await c.expect("room_state")
    assert [m["text"] for m in c_state["chat"]] == ["<b>hi</b> alice"]
    for sock in (a, b, c):
        await sock.close()


async def test_seq_increases_in_the_same_order_for_everyone(server: Server, remote: Api) -> None:
    users = [await remote.user(f"u{i}") for i in range(3)]
    code = (await users[0].create_room("r", "cabo"))["room_code"]
    for u in users[1:]:
        await u.http.post(f"/api/rooms/{code}/join")
    socks = []
    for u in users:  # one at a time: each is attached before the next comes online
        sock = await Sock.open(server, u)
        await sock.expect("room_state")
        socks.append(sock)
    # Every socket has seen the others come online before the chat starts.
    for i, s in enumerate(socks):
        for later in users[i + 1 :]:
            await s.expect("player_reconnected", session_id=later.session_id)
    for i in range(30):
        await socks[i % 3].send({"type": "chat", "text": f"m{i}"})
    orders = []
    for s in socks:
        got = []
        while len(got) < 30:
            frame = await s.next()
            if frame["type"] == "chat":
                got.append((frame["seq"], frame["text"]))
        orders.append(got)
        assert [seq for seq, _ in got] == sorted(seq for seq, _ in got)
    assert orders[0] == orders[1] == orders[2]


async def test_bad_frames_get_errors_and_the_socket_stays_open(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    await alice.create_room("r", "cabo")
    a = await Sock.open(server, alice)
    await a.expect("room_state")
    cases = [
        ("{nope", "invalid_json", None),
        ('{"type": "dance", "ref": "r1"}', "unknown_type", "r1"),
        ('{"type": "chat", "text": 5, "ref": 7}', "invalid_frame", 7),
        ('{"type": "chat", "text": "", "ref": 8}', "invalid_chat", 8),
        ('{"type": "chat", "text": "' + "x" * 501 + '"}', "invalid_chat", None),
        ('{"type": "resume", "room_code": "ABCDEF", "last_seq": 0, "ref": 9}', "not_in_room", 9),
        ('{"type": "action", "payload": {"cell": 1}, "ref": "go"}', "game_not_started", "go"),
        ("[1, 2]", "invalid_frame", None),
        ('{"text": "no type"}', "invalid_frame", None),
    ]
    for raw, code, ref in cases:
        await a.send(raw)
        err = await a.expect("error")
        assert err["code"] == code, (raw, err)
        assert err.get("ref") == ref
        assert err["message"]
    await a.send({"type": "ping", "ref": 1})
    assert (await a.expect("pong"))["ref"] == 1


async def test_chat_outside_a_room(server: Server, remote: Api) -> None:
    loner = await remote.user("loner")
    s = await Sock.open(server, loner)
    await s.send({"type": "chat", "text": "anyone?"})
    assert (await s.expect("error"))["code"] == "not_in_room"


async def test_second_socket_replaces_the_first(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    await alice.create_room("r", "cabo")
    first = await Sock.open(server, alice)
    await first.expect("room_state")
    second = await Sock.open(server, alice)
    await second.expect("room_state")
    assert (await first.expect("error"))["code"] == "session_replaced"
    assert await first.closed() == 4002
    await second.send({"type": "ping"})
    await second.expect("pong")


@pytest.fixture
def refuse_settings(server_settings: Settings) -> Settings:
    server_settings.ws_session_conflict = "refuse"
    return server_settings


async def test_second_socket_can_be_refused(refuse_settings: Settings, server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    first = await Sock.open(server, alice)
    second = await Sock.open(server, alice)
    assert (await second.expect("error"))["code"] == "already_connected"
    assert await second.closed() == 4003
    await first.send({"type": "ping"})
    await first.expect("pong")


async def test_http_operations_emit_frames(server: Server, remote: Api) -> None:
    alice, bob, carol = await remote.user("alice"), await remote.user("bob"), await remote.user("carol")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    await carol.http.post(f"/api/rooms/{code}/join")
    a = await Sock.open(server, alice)
    b = await Sock.open(server, bob)
    c = await Sock.open(server, carol)
    for s in (a, b, c):
        await s.expect("room_state")

    await alice.http.patch(f"/api/rooms/{code}/config", json={"max_players": 4})
    updated = await b.expect("room_updated")
    assert updated["room"]["config"]["max_players"] == 4

    await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": carol.session_id})
    assert (await c.expect("kicked"))["session_id"] == carol.session_id
    left = await a.expect("player_left", session_id=carol.session_id)
    assert left["reason"] == "kicked"
    # Carol is out of the room: her chat goes nowhere.
    await c.send({"type": "chat", "text": "still here?"})
    assert (await c.expect("error"))["code"] == "not_in_room"

    await alice.http.post(f"/api/rooms/{code}/start")
    assert (await b.expect("room_updated"))["room"]["state"] == "IN_GAME"

    await alice.http.post(f"/api/rooms/{code}/leave")
    assert (await b.expect("player_left"))["session_id"] == alice.session_id
    changed = await b.expect("host_changed")
    assert changed["host_session_id"] == bob.session_id

    await bob.http.delete(f"/api/rooms/{code}")
    assert (await b.expect("room_closed"))["reason"] == "deleted"


async def test_drop_and_come_back_to_the_same_seat(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a = await Sock.open(server, alice)
    b = await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    await b.ws.close()
    await a.expect("player_disconnected", session_id=bob.session_id)
    b = await Sock.open(server, bob)
    state = await b.expect("room_state")
    assert [p["username"] for p in state["players"]] == ["alice", "bob"]
    await a.expect("player_reconnected", session_id=bob.session_id)


async def test_grace_runs_out(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    code = (await alice.create_room("r", "cabo", config={"reconnect_grace_seconds": 0}))["room_code"]
    await bob.http.post(f"/api/rooms/{code}/join")
    a = await Sock.open(server, alice)
    b = await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    await b.ws.close()
    await a.expect("player_disconnected", session_id=bob.session_id)
    left = await a.expect("player_left", session_id=bob.session_id)
    assert left["reason"] == "disconnected"
    room = (await alice.http.get(f"/api/rooms/{code}")).json()["room"]
    assert [p["username"] for p in room["players"]] == ["alice"]
