"""Ownership across two nodes: one socket per session cluster-wide, resume on another node, a stale
owner fenced off while the other node takes the room over, and a node that stops handing its rooms on."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.cluster.conftest import Cluster
from tests.cluster.test_two_nodes import frames_until, on
from tests.conftest import REDIS_URL, RemoteApi, User
from tests.realtime.wsclient import Sock


async def _table(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> tuple[User, User, str, Sock, Sock]:
    """Alice on node A (the owner), bob on node B, seated at a tic-tac-toe table."""
    alice = await remote_a.user("alice")
    bob = on(remote_b, await remote_a.user("bob"))
    a = await Sock.open(cluster.nodes[0], alice)
    code = (await alice.create_room("table", "tictactoe"))["room_code"]
    await a.expect("room_state")
    b = await Sock.open(cluster.nodes[1], bob)
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    await b.expect("room_state")
    return alice, bob, code, a, b


async def test_a_second_socket_of_a_session_on_another_node_replaces_the_first(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice, _, _, a, _ = await _table(cluster, remote_a, remote_b)
    again = await Sock.open(cluster.nodes[1], alice)
    assert (await again.expect("room_state"))["room"]["room_code"]
    assert await a.closed() == 4002
    assert any(f.get("code") == "session_replaced" for f in a.seen)


async def test_a_client_resumes_on_the_other_node_with_what_it_missed(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    _, bob, code, a, b = await _table(cluster, remote_a, remote_b)
    await b.send({"type": "chat", "text": "before"})
    last = (await b.expect("chat", text="before"))["seq"]
    await b.close()
    for n in range(3):
        await a.send({"type": "chat", "text": f"missed {n}"})
    await frames_until(a, "chat", 4)
    back = await Sock.open(cluster.nodes[0], bob)  # through the owner's node this time
    await back.expect("room_state")
    await back.send({"type": "resume", "room_code": code, "last_seq": last})
    texts = [(await back.expect("chat"))["text"] for _ in range(3)]
    assert texts == ["missed 0", "missed 1", "missed 2"]
    # And from a node that does not own the room: its frames come from the room's shared log.
    await back.close()
    await a.send({"type": "chat", "text": "missed 3"})
    await frames_until(a, "chat", 1)
    elsewhere = await Sock.open(cluster.nodes[1], bob)
    await elsewhere.expect("room_state")
    await elsewhere.send({"type": "resume", "room_code": code, "last_seq": last})
    texts = [(await elsewhere.expect("chat"))["text"] for _ in range(4)]
    assert texts == ["missed 0", "missed 1", "missed 2", "missed 3"]


async def test_a_paused_owner_is_fenced_off_and_the_game_goes_on_on_the_other_node(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    # Alice (X: she created the room) plays through node B; bob (O) through node A, which owns the
    # room since his seat was the room's first frame.
    alice = on(remote_b, await remote_a.user("alice"))
    bob = await remote_a.user("bob")
    code = (await alice.create_room("table", "tictactoe"))["room_code"]
    a = await Sock.open(cluster.nodes[0], bob)
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    await a.expect("room_state")
    b = await Sock.open(cluster.nodes[1], alice)
    await b.expect("room_state")
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["node"] == "node-a"
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    first = await b.expect("game_state")
    assert first["state"]["marks"][alice.session_id] == "X"
    await a.expect("game_state")
    await b.send({"type": "action", "payload": {"cell": 0}, "ref": 1})
    before = await b.expect("game_state", ref=1)
    await a.expect("game_state", version=1)

    # Node A stalls: no more lease renewals, and its lease on the room runs out.
    node_a = cluster.services(0)
    assert node_a.owned_scheduler is not None and node_a.cluster is not None
    await node_a.owned_scheduler.close()
    room_id = (await alice.http.get(f"/api/rooms/{code}")).json()["room_id"]
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.delete(cluster.prefix + "lease:" + room_id)
    finally:
        await redis.aclose()
    # Node B has a socket in the room: its upkeep takes the room and restores the game.
    restored = await b.expect("game_state", timeout=5)
    assert restored["version"] == 1 and restored["seq"] > before["seq"]
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["node"] == "node-b"

    # Node A still runs its copy of the game: bob's move reaches it, and its write is refused by the
    # fence, so it is never applied nor seen, and that copy stops. Sent again, it goes to node B.
    await a.send({"type": "action", "payload": {"cell": 4}, "ref": 2})
    refused = await a.expect("error", ref=2)
    assert refused["code"] == "internal"
    assert room_id not in node_a.engine.runners
    await a.send({"type": "action", "payload": {"cell": 4}, "ref": 3})
    second = await a.expect("game_state", ref=3, timeout=5)
    assert second["version"] == 2 and second["seq"] > restored["seq"]
    await b.expect("game_state", version=2)
    await b.send({"type": "action", "payload": {"cell": 1}, "ref": 4})
    third = await b.expect("game_state", ref=4)
    assert third["state"]["board"][:2] == ["X", "X"] and third["state"]["board"][4] == "O"
    # Every numbered frame each socket saw came in one increasing order, with no number twice.
    for sock in (a, b):
        seqs = [f["seq"] for f in sock.seen if "seq" in f and f["type"] != "room_state"]
        assert seqs == sorted(set(seqs)), seqs


async def test_a_node_that_stops_closes_its_sockets_with_1012_and_the_room_goes_on_elsewhere(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice, bob, code, a, b = await _table(cluster, remote_a, remote_b)
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    first = await a.expect("game_state")
    await b.expect("game_state")
    marks = first["state"]["marks"]
    x_sock = a if marks[alice.session_id] == "X" else b
    await x_sock.send({"type": "action", "payload": {"cell": 0}, "ref": 1})
    acked = await x_sock.expect("game_state", ref=1)

    await cluster.stop(0)  # as SIGTERM: the node drains
    assert await a.closed() == 1012
    again = await Sock.open(cluster.nodes[1], alice)
    state = await again.expect("room_state")
    assert [p["username"] for p in state["players"]] == ["alice", "bob"]
    view = await again.expect("game_state", timeout=5)
    assert (
        view["version"] == 1
        and view["state"]["board"][0] == marks[alice.session_id if x_sock is a else bob.session_id]
    )
    assert view["seq"] > acked["seq"]
    assert (await on(remote_b, alice).http.get(f"/api/rooms/{code}")).json()["node"] == "node-b"


async def test_a_socket_ticket_from_one_node_opens_the_socket_on_the_other_once(
    cluster: Cluster, remote_a: RemoteApi
) -> None:
    alice = await remote_a.user("alice")
    ticket = (await alice.http.post("/api/session/ticket")).json()["ticket"]
    from websockets.asyncio.client import connect

    url = f"{cluster.nodes[1].ws}?ticket={ticket}"
    async with connect(url) as ws:
        await ws.send('{"type": "ping", "ref": 1}')
        assert '"pong"' in str(await ws.recv())
    again = Sock(await connect(url))
    refused = await again.next()
    assert refused["code"] == "invalid_ticket"
    assert await again.closed() == 4001
