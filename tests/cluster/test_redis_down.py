"""Redis goes away under a node of a cluster, then comes back (a Redis of the test's own, restarted
without its data): the API answers 503 ``cluster_unavailable`` meanwhile, sockets stay open, nothing
accepted is lost, and the node serves again once Redis is back."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import Cluster
from tests.conftest import RemoteApi
from tests.engine.test_restart import _free_port
from tests.realtime.wsclient import Sock

pytestmark = pytest.mark.slow


class OwnRedis:
    """A redis-server process for this test alone, on a port of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


async def _until_status(
    http: httpx.AsyncClient, path: str, status: int, timeout: float = 10
) -> httpx.Response:
    async with asyncio.timeout(timeout):
        while True:
            resp = await http.get(path)
            if resp.status_code == status:
                return resp
            await asyncio.sleep(0.05)


@pytest.fixture
async def node(shared_postgres: str, own_redis: OwnRedis, tmp_path: Path) -> AsyncIterator[Cluster]:
    for _ in range(100):  # the server takes a moment to listen
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", own_redis.port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    made = Cluster(shared_postgres, own_redis.url, "rs-test-down:", tmp_path)
    await made.start("node-a")
    yield made
    await made.close()


async def test_redis_down_answers_503_keeps_sockets_and_loses_nothing(
    node: Cluster, own_redis: OwnRedis
) -> None:
    api = RemoteApi(node.nodes[0])
    alice, bob = await api.user("alice"), await api.user("bob")
    code = (await alice.create_room("outage", "tictactoe"))["room_code"]
    a = await Sock.open(node.nodes[0], alice)
    await a.expect("room_state")
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    b = await Sock.open(node.nodes[0], bob)
    await b.expect("room_state")
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    first = await a.expect("game_state")
    x, o = (a, b) if first["state"]["marks"][alice.session_id] == "X" else (b, a)
    await x.send({"type": "action", "payload": {"cell": 0}, "ref": 1})
    accepted = await x.expect("game_state", ref=1)
    await o.expect("game_state", version=1)

    own_redis.kill()
    refused = await _until_status(alice.http, f"/api/rooms/{code}", 503)
    assert refused.json()["error"]["code"] == "cluster_unavailable"
    # The sockets stay open.
    await a.send({"type": "ping", "ref": "p"})
    assert (await a.expect("pong"))["ref"] == "p"

    own_redis.start()  # back, without its data
    body = (await _until_status(alice.http, f"/api/rooms/{code}", 200, timeout=15)).json()
    assert body["node"] in (None, "node-a")
    # The node takes its room back (its sockets sit there) and brings the game back from the log.
    again = await o.expect("game_state", timeout=15)
    assert again["version"] == 1 and again["state"]["board"][0] == accepted["state"]["board"][0]
    await o.send({"type": "action", "payload": {"cell": 4}, "ref": 2})
    second = await o.expect("game_state", ref=2, timeout=10)
    assert second["version"] == 2 and second["seq"] > accepted["seq"]
    await api.close()
