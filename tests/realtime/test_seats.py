"""Seats follow sockets: a socket open when its session creates a room is attached to it at once."""

from __future__ import annotations

from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock


async def test_a_socket_open_before_create_is_attached_to_the_new_room(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    sock = await Sock.open(server, alice)
    room = await alice.create_room("r", "tictactoe")
    state = await sock.expect("room_state")
    assert state["room"]["room_code"] == room["room_code"]
    assert [p["session_id"] for p in state["players"]] == [alice.session_id]
    await bob.http.post(f"/api/rooms/{room['room_code']}/join")
    joined = await sock.expect("player_joined")
    assert joined["player"]["session_id"] == bob.session_id and joined["seq"] > state["seq"]
    await sock.close()
