"""The live lobby over a real server: a snapshot equal to the HTTP lobby, then every public room
appearing, changing and going within a second of the HTTP answer that changed it."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from roomservice.protocol.frames import FrameError, LobbySubscribe, decode
from roomservice.realtime.connection import Connection
from roomservice.realtime.lobby import LobbyFeed
from roomservice.rooms.events import player_joined
from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock

#: How soon a change must reach a subscriber after the HTTP answer that made it.
SOON = 1.0


async def test_snapshot_is_the_http_lobby_then_rooms_come_change_and_go(server: Server, remote: Api) -> None:
    alice, bob, carol = await remote.user("alice"), await remote.user("bob"), await remote.user("carol")
    first = await alice.create_room("first", "tictactoe")
    await bob.create_room("hidden", "tictactoe", private=True)
    watcher = await Sock.open(server, carol)
    await watcher.send({"type": "lobby_subscribe", "ref": 1})
    snapshot = await watcher.expect("lobby_snapshot", SOON)
    http = (await carol.http.get("/api/rooms")).json()["rooms"]
    assert snapshot["rooms"] == http and snapshot["game"] is None
    assert [r["room_code"] for r in snapshot["rooms"]] == [first["room_code"]]

    dave = await remote.user("dave")
    second = await dave.create_room("second", "cabo")
    added = await watcher.expect("lobby_room_added", SOON)
    listed = (await carol.http.get("/api/rooms")).json()["rooms"]
    assert added["room"] == next(r for r in listed if r["room_code"] == second["room_code"])

    erin = await remote.user("erin")
    assert (await erin.http.post(f"/api/rooms/{first['room_code']}/join")).status_code == 200
    updated = await watcher.expect("lobby_room_updated", SOON)
    assert updated["room"]["room_code"] == first["room_code"]
    assert updated["room"]["player_count"] == 2 and updated["room"]["state"] == "WAITING"
    assert updated["room"] == (await carol.http.get(f"/api/rooms/{first['room_code']}")).json()["room"]
    assert (await alice.http.post(f"/api/rooms/{first['room_code']}/start")).status_code == 200
    started = await watcher.expect("lobby_room_updated", SOON)
    assert started["room"]["state"] == "IN_GAME"

    assert (await dave.http.delete(f"/api/rooms/{second['room_code']}")).status_code == 200
    removed = await watcher.expect("lobby_room_removed", SOON)
    assert removed["room"]["room_code"] == second["room_code"]
    # Nothing about the private room ever reached the lobby.
    assert all(not f.get("room", {}).get("private") for f in watcher.seen)
    assert all(r["name"] != "hidden" for f in watcher.seen for r in f.get("rooms", []))
    await watcher.close()


async def test_a_game_filter_and_unsubscribing(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    await alice.create_room("t", "tictactoe")
    watcher = await Sock.open(server, bob)
    await watcher.send({"type": "lobby_subscribe", "game": "cabo"})
    assert (await watcher.expect("lobby_snapshot", SOON))["rooms"] == []
    carol, dave = await remote.user("carol"), await remote.user("dave")
    await carol.create_room("t2", "tictactoe")
    cabo = await dave.create_room("c", "cabo")
    added = await watcher.expect("lobby_room_added", SOON)
    assert added["room"]["room_code"] == cabo["room_code"]
    assert not any(f["type"] == "lobby_room_added" and f["room"]["game"] != "cabo" for f in watcher.seen)

    await watcher.send({"type": "lobby_unsubscribe"})
    await watcher.send({"type": "ping", "ref": "after"})
    await watcher.expect("pong", SOON)
    await dave.http.post(f"/api/rooms/{cabo['room_code']}/leave")
    await watcher.send({"type": "ping", "ref": "later"})
    await watcher.expect("pong", SOON, ref="later")
    assert not any(f["type"] == "lobby_room_removed" for f in watcher.seen)
    await watcher.close()


async def test_a_bad_subscription_is_refused_and_the_socket_stays(server: Server, remote: Api) -> None:
    alice = await remote.user("alice")
    sock = await Sock.open(server, alice)
    await sock.send({"type": "lobby_subscribe", "game": 7, "ref": "a"})
    refused = await sock.expect("error", SOON)
    assert refused["code"] == "invalid_frame" and refused["ref"] == "a"
    await sock.send({"type": "lobby_subscribe", "game": "x" * 41, "ref": "b"})
    assert (await sock.expect("error", SOON))["ref"] == "b"
    await sock.send({"type": "lobby_subscribe", "game": "cabo", "extra": [[1]]})
    assert (await sock.expect("lobby_snapshot", SOON))["game"] == "cabo"
    await sock.close()


def test_the_decoder_keeps_its_rules_for_lobby_frames() -> None:
    assert decode('{"type":"lobby_subscribe"}') == LobbySubscribe()
    with pytest.raises(FrameError):
        decode('{"type":"lobby_subscribe","game":""}')
    deep = '{"type":"lobby_subscribe","x":' + "[" * 40 + "]" * 40 + "}"
    with pytest.raises(FrameError):
        decode(deep)


class _Socket:
    """Records what a subscriber was handed."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes | None]] = []

    def send(self, text: str, framed: bytes | None = None) -> None:
        self.got.append((text, framed))


async def test_a_thousand_subscribers_share_one_encoded_frame_per_change(api: Api) -> None:
    feed = LobbyFeed()
    socks = [_Socket() for _ in range(1000)]
    for sock in socks:
        feed.subscribe(cast(Connection, sock), None)
    alice = await api.user("alice")
    created = await alice.create_room("r", "tictactoe")
    services: Any = api.app.state.services
    room = await services.rooms.get(created["room_code"])
    feed.room_events(room, [player_joined(room.members[0])])
    texts = {id(sock.got[-1][0]) for sock in socks}
    framed = {id(sock.got[-1][1]) for sock in socks}
    assert len(texts) == 1 and len(framed) == 1
    assert all(sock.got[-1][1] is not None for sock in socks)


async def test_after_a_restart_the_feed_starts_from_the_stored_public_rooms(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    await alice.create_room("a", "tictactoe")
    await bob.create_room("b", "cabo", private=True)
    await carol.create_room("c", "cabo")
    services: Any = api.app.state.services
    feed = LobbyFeed()  # as a node builds it when it starts
    feed.load(await services.rooms.public_rooms())
    sock = _Socket()
    feed.subscribe(cast(Connection, sock), None)
    snapshot = json.loads(sock.got[0][0])
    assert snapshot["rooms"] == (await alice.http.get("/api/rooms")).json()["rooms"]
    assert sorted(r["name"] for r in snapshot["rooms"]) == ["a", "c"]  # never the private one
