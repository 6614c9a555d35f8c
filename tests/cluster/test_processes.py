"""Two real ``roomservice serve --redis-url`` processes on one PostgreSQL database and one Redis, behind a
stand-in for the reverse proxy: players on both nodes chat and play Cabo in one room; the room's owner is
SIGKILLed mid-game and the game goes on on the other node with every acknowledged action; fifty sessions
race for a room's last seat across both nodes and exactly one gets it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from roomservice.client import Chat, Client, GameState, Socket
from tests.cluster.proxy import Proxy
from tests.conftest import REDIS_URL
from tests.engine.test_restart import ROOMSERVICE, _deck, _free_port

pytestmark = pytest.mark.slow


class Node:
    """One ``roomservice serve`` process of the cluster."""

    def __init__(self, node_id: str, env: dict[str, str], log: Path) -> None:
        self.node_id = node_id
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        cmd = [ROOMSERVICE, "serve", "--port", str(self.port), "--dev", "--node-id", self.node_id]
        with self.log.open("ab") as log:
            return subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)

    async def start(self) -> None:
        self.proc = self._spawn()
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text())
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("the node did not come up:\n" + self.log.read_text())

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Deployment:
    def __init__(self, nodes: list[Node], proxy: Proxy) -> None:
        self.nodes = nodes
        self.proxy = proxy

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)


@pytest.fixture
async def deployment(shared_postgres: str, prefix: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    env = {
        **os.environ,
        "ROOMSERVICE_DATABASE_URL": shared_postgres,
        "ROOMSERVICE_REDIS_URL": REDIS_URL,
        "ROOMSERVICE_REDIS_PREFIX": prefix,
        "ROOMSERVICE_SECRET_KEY": "cluster-test",
        "ROOMSERVICE_HTTP_RATE_SESSIONS": "0",
        "ROOMSERVICE_LEASE_TTL": "2",
    }
    migrate = await asyncio.create_subprocess_exec(
        ROOMSERVICE, "migrate", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output, _ = await migrate.communicate()
    assert migrate.returncode == 0, output.decode()
    nodes = [Node(name, env, tmp_path / f"{name}.log") for name in ("node-a", "node-b")]
    await asyncio.gather(*(n.start() for n in nodes))
    proxy = Proxy([n.port for n in nodes])
    await proxy.start()
    yield Deployment(nodes, proxy)
    await proxy.close()
    for node in nodes:
        node.stop()


async def _until(sock: Socket, test: Any, timeout: float = 15) -> GameState:
    return await sock.wait_for(GameState, test, timeout=timeout)


async def test_players_on_two_nodes_chat_and_play_and_the_game_survives_its_owners_sigkill(
    deployment: Deployment,
) -> None:
    url = deployment.proxy.url
    alice, bob = Client(url), Client(url)
    a_session = await alice.create_session("alice")
    await bob.create_session("bob")
    room = await alice.create_room("cabo", "cabo")
    await bob.join(room.room_code)
    a_sock = await alice.connect()
    b_sock = await bob.connect()  # the proxy takes each socket to the next node in turn

    await a_sock.chat("hello from alice")
    await b_sock.chat("hello from bob")
    heard = []
    for sock in (a_sock, b_sock):
        lines = [await sock.wait_for(Chat, timeout=10) for _ in range(2)]
        heard.append([(line.seq, line.text) for line in lines])
    assert heard[0] == heard[1]  # one order for everyone, whichever node numbered them
    assert {text for _, text in heard[0]} == {"hello from alice", "hello from bob"}

    await alice.start(room.room_code, options={"peek_seconds": 0.2, "deck": _deck()})
    state = await _until(a_sock, lambda e: e.state["phase"] == "turn")
    first = state.state["turn"]
    mover = a_sock if first == a_session.session_id else b_sock
    other = b_sock if mover is a_sock else a_sock
    await mover.action({"move": "draw"})
    drawn = await _until(mover, lambda e: e.state["phase"] == "drawn")
    await mover.action({"move": "exchange", "cards": [0]})
    acknowledged = await _until(mover, lambda e: e.version > drawn.version)
    assert acknowledged.state["turn"] != first
    await _until(other, lambda e: e.version == acknowledged.version)

    async with httpx.AsyncClient() as http:
        body = (await http.get(f"{url}/api/rooms/{room.room_code}")).json()
    killed = deployment.node(body["node"])
    killed.kill()
    t_kill = time.monotonic()

    # Both players come back (one was never away) to the game exactly as acknowledged, run by the
    # other node now.
    for sock in (a_sock, b_sock):
        back = await _until(sock, lambda e: e.seq > acknowledged.seq, timeout=30)
        assert (back.version, back.state["turn"]) == (acknowledged.version, acknowledged.state["turn"])
    # The next player's move, sent again every 0.2 s until it is taken.
    nxt = other
    while True:
        await nxt.action({"move": "draw"})
        try:
            moved = await _until(nxt, lambda e: e.version == acknowledged.version + 1, timeout=0.2)
            break
        except TimeoutError:
            assert time.monotonic() - t_kill < 30, "no move was taken after the owner died"
    failover = time.monotonic() - t_kill
    assert moved.state["phase"] == "drawn"
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"{url}/api/rooms/{room.room_code}")).json()
    assert body["node"] != killed.node_id
    print(f"failover: {failover:.2f} s from SIGKILL to the next accepted action")
    assert failover < 10

    for sock in (a_sock, b_sock):
        await sock.close()
    await alice.aclose()
    await bob.aclose()


async def test_fifty_sessions_race_for_the_last_seat_across_two_node_processes(
    deployment: Deployment,
) -> None:
    url = deployment.proxy.url
    async with Client(url) as host:
        await host.create_session("host")
        room = await host.create_room("last seat", "cabo", config={"max_players": 2})
        async with httpx.AsyncClient(base_url=url) as http:
            sessions = await asyncio.gather(
                *(http.post("/api/session", json={"username": f"p{n}"}) for n in range(50))
            )
            tokens = [s.json()["token"] for s in sessions]
            answers = await asyncio.gather(
                *(
                    http.post(f"/api/rooms/{room.room_code}/join", headers={"Authorization": f"Bearer {t}"})
                    for t in tokens
                )
            )
        assert sorted(a.status_code for a in answers) == [200] + [409] * 49
        assert len((await host.room(room.room_code)).players) == 2
