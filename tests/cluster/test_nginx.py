"""Through Debian's nginx with the repository's deploy/nginx.conf, in front of real node processes: HTTP
and the socket reach a node, a node that refuses connections is passed over for the next one, and the
client's own address reaches the nodes that trust the proxy (and only those)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.cluster.harness import Nginx, Node, free_port, start_nodes


@dataclass
class Setup:
    trusting: Node
    """Believes X-Forwarded-For from 127.0.0.1 (the default): nginx's address here."""
    doubting: Node
    """Believes it only from 10.9.9.9."""
    proxy: Nginx
    """nginx in front of ``trusting``."""
    dead_first: Nginx
    """nginx in front of an address nothing listens on, then ``trusting``."""
    dead: str
    doubted: Nginx
    """nginx in front of ``doubting``."""


@pytest.fixture(scope="module")
def setup(nginx_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("nginx")
    limits = {"ROOMSERVICE_HTTP_RATE_SESSIONS": "2"}
    trusting = Node(base / "trusting", env=limits)
    doubting = Node(base / "doubting", args=["--forwarded-allow-ips", "10.9.9.9"], env=limits)
    nodes = start_nodes([trusting, doubting])
    proxies: list[Nginx] = []
    try:
        dead = f"127.0.0.1:{free_port()}"
        for upstreams in ([trusting.address], [dead, trusting.address], [doubting.address]):
            proxies.append(Nginx(upstreams).start())
        yield Setup(trusting, doubting, proxies[0], proxies[1], dead, proxies[2])
    finally:
        for proxy in proxies:
            proxy.stop()
        for node in nodes:
            node.stop()


def client(proxy: Nginx, source: str) -> httpx.AsyncClient:
    """A client whose connections come from ``source`` (an address of the loopback range), as if it
    were a machine of its own."""
    return httpx.AsyncClient(base_url=proxy.url, transport=httpx.AsyncHTTPTransport(local_address=source))


async def session(
    http: httpx.AsyncClient, name: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/api/session", json={"username": name}, headers=headers)


async def frame(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type ``kind``, skipping others."""
    while True:
        data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if data["type"] == kind:
            return data


def test_the_repository_config_passes_nginx_own_check(setup: Setup) -> None:
    assert "syntax is ok" in setup.proxy.check()


async def test_http_and_the_socket_reach_a_node_through_nginx(setup: Setup) -> None:
    async with client(setup.proxy, "127.0.0.2") as http:
        ann = (await session(http, "ann")).json()
        bob = (await session(http, "bob")).json()
        auth = {"Authorization": f"Bearer {ann['token']}"}
        created = await http.post("/api/rooms", json={"name": "proxied", "game": "tictactoe"}, headers=auth)
        assert created.status_code == 201, created.text
        code = created.json()["room_code"]
        async with connect(setup.proxy.ws, additional_headers=auth) as ws:
            state = await frame(ws, "room_state")
            assert state["room"]["room_code"] == code
            await ws.send(json.dumps({"type": "chat", "text": "hello through nginx"}))
            said = await frame(ws, "chat")
            assert (said["from"], said["text"]) == ("ann", "hello through nginx")
            # A change made over HTTP reaches the open socket.
            joined = await http.post(
                f"/api/rooms/{code}/join", headers={"Authorization": f"Bearer {bob['token']}"}
            )
            assert joined.status_code == 200, joined.text
            assert (await frame(ws, "player_joined"))["player"]["username"] == "bob"
    # nginx says who it forwarded to: the one node, never anything else.
    assert {line.rsplit("upstream=", 1)[1] for line in setup.proxy.access_log} == {setup.trusting.address}


async def test_a_node_refusing_connections_is_passed_over(setup: Setup) -> None:
    async with client(setup.dead_first, "127.0.0.3") as http:
        answers = [await http.get("/healthz") for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4
    # The first request was refused by the dead address and went on to the live node.
    tried = [line.rsplit("upstream=", 1)[1] for line in setup.dead_first.access_log]
    assert f"{setup.dead}, {setup.trusting.address}" in tried
    assert "Connection refused" in setup.dead_first.error_log


async def test_nodes_that_trust_the_proxy_count_each_client_apart(setup: Setup) -> None:
    async with client(setup.proxy, "127.0.0.4") as first, client(setup.proxy, "127.0.0.5") as second:
        assert [(await session(first, "a")).status_code for _ in range(2)] == [201, 201]
        assert (await session(first, "a")).status_code == 429
        # Another client behind the same nginx has a quota of its own.
        assert (await session(second, "b")).status_code == 201
        # A client cannot choose its address: nginx adds the real one, which the node takes.
        forged = await session(first, "a", {"X-Forwarded-For": "203.0.113.9"})
        assert forged.status_code == 429


async def test_nodes_that_do_not_trust_the_proxy_see_only_nginx(setup: Setup) -> None:
    async with client(setup.doubted, "127.0.0.6") as first, client(setup.doubted, "127.0.0.7") as second:
        assert [(await session(first, "a")).status_code for _ in range(2)] == [201, 201]
        # Every client arrives from nginx's address: one quota for all of them.
        refused = await session(second, "b")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"


@pytest.mark.slow
async def test_a_killed_node_costs_no_request(nginx_installed: None, tmp_path: Path) -> None:
    nodes = start_nodes([Node(tmp_path / "one"), Node(tmp_path / "two")])
    proxy = Nginx([n.address for n in nodes]).start()
    try:
        async with client(proxy, "127.0.0.8") as http:
            # Both nodes serve (nginx now keeps idle connections to each), then one dies.
            assert [(await http.get("/api/games")).status_code for _ in range(4)] == [200] * 4
            nodes[0].kill()
            answers = []
            for i in range(10):
                answers.append((await session(http, f"p{i}")).status_code)
                answers.append((await http.get("/api/games")).status_code)
                await asyncio.sleep(0.2)  # a client retrying every 0.2 s
        assert answers == [201, 200] * 10
        served = [line.rsplit("upstream=", 1)[1] for line in proxy.access_log]
        assert served[-1] == nodes[1].address
    finally:
        proxy.stop()
        for node in nodes:
            node.stop()
