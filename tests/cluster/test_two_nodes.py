"""Two nodes of one cluster: a room's players on different nodes chat and play together, in one seq
order; the room's owner is told by `GET /api/rooms/{code}`; seats race across nodes; both nodes rank
a game from the leaderboards' Redis index."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roomservice.leaderboards.redis import RedisIndex
from tests.cluster.conftest import Cluster
from tests.conftest import RemoteApi, User
from tests.realtime.wsclient import Sock


def on(api: RemoteApi, user: User) -> User:
    """The same session, calling another node."""
    client = api.client()
    client.headers["Authorization"] = f"Bearer {user.token}"
    return User(client, user.session_id, user.name, user.token)


async def frames_until(sock: Sock, kind: str, count: int) -> list[dict[str, Any]]:
    """Frames of ``kind`` (in arrival order) until ``count`` of them came."""
    got: list[dict[str, Any]] = []
    while len(got) < count:
        frame = await sock.next()
        if frame["type"] == kind:
            got.append(frame)
    return got


async def test_players_on_two_nodes_chat_in_one_order(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice = await remote_a.user("alice")
    bob = on(remote_b, await remote_a.user("bob"))
    a = await Sock.open(cluster.nodes[0], alice)
    room = await alice.create_room("together", "tictactoe")
    code = room["room_code"]
    await a.expect("room_state")
    b = await Sock.open(cluster.nodes[1], bob)
    joined = await bob.http.post(f"/api/rooms/{code}/join")
    assert joined.status_code == 200, joined.text
    state = await b.expect("room_state")
    assert [p["username"] for p in state["players"]] == ["alice", "bob"]
    await a.expect("player_joined")

    for n in range(5):
        await a.send({"type": "chat", "text": f"a{n}"})
        await b.send({"type": "chat", "text": f"b{n}"})
    seen_a = await frames_until(a, "chat", 10)
    seen_b = await frames_until(b, "chat", 10)
    assert [(f["seq"], f["text"]) for f in seen_a] == [(f["seq"], f["text"]) for f in seen_b]
    assert [f["seq"] for f in seen_a] == sorted(f["seq"] for f in seen_a)
    assert {f["text"] for f in seen_a} == {f"{who}{n}" for who in "ab" for n in range(5)}

    # Both nodes name the same owner: the node of the first socket in the room.
    for api in (remote_a, remote_b):
        body = (await api.client().get(f"/api/rooms/{code}")).json()
        assert body["node"] == "node-a"


async def test_a_game_runs_on_the_owner_for_players_on_both_nodes(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice = await remote_a.user("alice")
    bob = on(remote_b, await remote_a.user("bob"))
    a = await Sock.open(cluster.nodes[0], alice)
    code = (await alice.create_room("ttt", "tictactoe"))["room_code"]
    await a.expect("room_state")
    b = await Sock.open(cluster.nodes[1], bob)
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    await b.expect("room_state")
    # The host starts the game through the node that does not own the room.
    started = await on(remote_b, alice).http.post(f"/api/rooms/{code}/start")
    assert started.status_code == 200, started.text
    first = await a.expect("game_state")
    await b.expect("game_state")
    marks = first["state"]["marks"]
    players = sorted(marks, key=lambda s: marks[s] != "X")  # X moves first
    socks = {alice.session_id: a, bob.session_id: b}
    mover = socks[players[0]]
    # Bob's moves travel from node B to the owner; each is acknowledged with its ref on his socket.
    moves = [(players[0], 0), (players[1], 3), (players[0], 1), (players[1], 4), (players[0], 2)]
    for n, (player, cell) in enumerate(moves, start=1):
        mover = socks[player]
        await mover.send({"type": "action", "payload": {"cell": cell}, "ref": n})
        acked = await mover.expect("game_state", ref=n)
        assert acked["version"] == n
    final_a = acked  # alice made the last move
    final_b = await b.expect("game_state", version=5)
    assert final_a["result"] == final_b["result"] and final_a["state"]["winner"] == players[0]
    assert final_a["seq"] == final_b["seq"]


@pytest.mark.slow
async def test_fifty_sessions_racing_for_the_last_seat_across_two_nodes_give_one_winner(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    host = await remote_a.user("host")
    code = (await host.create_room("last seat", "cabo", config={"max_players": 2}))["room_code"]
    made = await asyncio.gather(*(remote_a.user(f"p{n}") for n in range(50)))
    # Fresh connections, half of them to each node.
    racers = [on(remote_a if n % 2 else remote_b, user) for n, user in enumerate(made)]
    answers = await asyncio.gather(*(r.http.post(f"/api/rooms/{code}/join") for r in racers))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 49
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"room_full"}
    room = (await host.http.get(f"/api/rooms/{code}")).json()
    assert len(room["players"]) == 2


async def test_a_lobby_followed_on_one_node_sees_rooms_change_on_the_other(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    watcher = await remote_b.user("watcher")
    sock = await Sock.open(cluster.nodes[1], watcher)
    await sock.send({"type": "lobby_subscribe"})
    assert (await sock.expect("lobby_snapshot"))["rooms"] == []
    alice = await remote_a.user("alice")
    code = (await alice.create_room("public", "tictactoe"))["room_code"]
    added = await sock.expect("lobby_room_added", timeout=2)
    assert added["room"]["room_code"] == code
    bob = await remote_a.user("bob")
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    updated = await sock.expect("lobby_room_updated", timeout=2)
    assert [p["username"] for p in updated["room"]["players"]] == ["alice", "bob"]
    assert (await alice.http.delete(f"/api/rooms/{code}")).status_code == 200
    removed = await sock.expect("lobby_room_removed", timeout=2)
    assert removed["room"]["room_code"] == code


async def test_tickets_filed_through_two_nodes_meet_in_one_match(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice = await remote_a.user("alice")
    bob = on(remote_b, await remote_a.user("bob"))
    a = await Sock.open(cluster.nodes[0], alice)
    b = await Sock.open(cluster.nodes[1], bob)
    first = await alice.http.post("/api/matchmaking/tictactoe/tickets")
    assert first.status_code == 201, first.text
    second = await bob.http.post("/api/matchmaking/tictactoe/tickets")
    assert second.status_code == 201, second.text
    found_a = await a.expect("match_found", timeout=5)
    found_b = await b.expect("match_found", timeout=5)
    assert found_a["room_code"] == found_b["room_code"]
    # Both sockets, one on each node, follow the match into its room and its game.
    for sock in (a, b):
        state = await sock.expect("room_state", timeout=5)
        assert state["room"]["room_code"] == found_a["room_code"]
        await sock.expect("game_state", timeout=5)
    ticket = (await bob.http.get(f"/api/matchmaking/tickets/{first.json()['ticket_id']}")).status_code
    assert ticket == 404  # another session's ticket, whichever node is asked


async def test_a_game_won_across_nodes_is_ranked_the_same_by_both_nodes_from_redis(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice = await remote_a.user("alice")
    bob = on(remote_b, await remote_a.user("bob"))
    a = await Sock.open(cluster.nodes[0], alice)
    code = (await alice.create_room("ttt", "tictactoe"))["room_code"]
    await a.expect("room_state")
    b = await Sock.open(cluster.nodes[1], bob)
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    await b.expect("room_state")
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    marks = (await a.expect("game_state"))["state"]["marks"]
    await b.expect("game_state")
    players = sorted(marks, key=lambda s: marks[s] != "X")  # X moves first
    socks = {alice.session_id: a, bob.session_id: b}
    moves = [(players[0], 0), (players[1], 3), (players[0], 1), (players[1], 4), (players[0], 2)]
    for n, (player, cell) in enumerate(moves, start=1):
        await socks[player].send({"type": "action", "payload": {"cell": cell}, "ref": n})
        await socks[player].expect("game_state", ref=n)
    winner = players[0]
    names = {alice.session_id: "alice", bob.session_id: "bob"}
    expected = [(1, names[winner], 1), (2, names[players[1]], 0)]
    # Each node reads the board from the Redis sorted set, told of the game after its commit.
    async with asyncio.timeout(5):
        for user in (alice, bob, on(remote_b, alice), on(remote_a, bob)):
            while True:
                page = (await user.http.get("/api/leaderboards/tictactoe")).json()
                got = [(e["rank"], e["username"], e["wins"]) for e in page["entries"]]
                if got == expected:
                    break
                await asyncio.sleep(0.05)
            assert page["total"] == 2
    indexes = [cluster.services(i).leaderboards.index for i in (0, 1)]
    assert all(isinstance(index, RedisIndex) for index in indexes)
    store = indexes[0]
    assert isinstance(store, RedisIndex)
    keys = [k async for k in store.client.scan_iter(match=cluster.prefix + "lb:tictactoe:*")]
    assert keys, "the board lives in Redis under the cluster's prefix"
