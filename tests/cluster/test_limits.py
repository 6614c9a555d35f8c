"""Limits that hold for the cluster, not per node: the HTTP rate limits are counted in Redis, and the
room limit of an account is counted under a lock of the account's row, so spreading requests over two
nodes gets a client no more than one node would give it."""

from __future__ import annotations

import asyncio

from tests.accounts.people import log_in, sign_up
from tests.cluster.conftest import Cluster
from tests.cluster.test_two_nodes import on
from tests.conftest import RemoteApi
from tests.web.test_rooms import error


async def test_room_creation_is_limited_per_address_across_both_nodes(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    """20 rooms a minute per address (the default): ten through each node spend them all."""
    hosts = await asyncio.gather(*(remote_a.user(f"host{i}") for i in range(22)))
    for i, host in enumerate(hosts[:20]):
        await (host if i % 2 else on(remote_b, host)).create_room(f"r{i}", "cabo")
    for refused in (hosts[20], on(remote_b, hosts[21])):
        resp = await refused.http.post("/api/rooms", json={"name": "one more", "game": "cabo"})
        error(resp, 429, "rate_limited")
        assert 1 <= int(resp.headers["Retry-After"]) <= 3  # one token every 3 s, in real time


async def test_two_devices_of_an_account_on_two_nodes_get_one_room_past_the_limit_between_them(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    laptop = await remote_a.user("carol")
    await sign_up(laptop, "carol")
    phone = await log_in(remote_b, "carol")
    for i in range(4):
        device = laptop if i % 2 else phone
        code = (await device.create_room(f"r{i}", "cabo", config={"keep_when_empty": True}))["room_code"]
        assert (await device.http.post(f"/api/rooms/{code}/leave")).status_code == 200
    answers = await asyncio.gather(
        *(d.http.post("/api/rooms", json={"name": "fifth", "game": "cabo"}) for d in (laptop, phone))
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    error(next(a for a in answers if a.status_code == 409), 409, "room_limit")
    mine = (await laptop.http.get("/api/rooms/mine")).json()["rooms"]
    assert len(mine) == 5


async def test_one_session_creating_rooms_through_both_nodes_at_once_gets_one(
    cluster: Cluster, remote_a: RemoteApi, remote_b: RemoteApi
) -> None:
    alice = await remote_a.user("alice")
    answers = await asyncio.gather(
        *(
            side.http.post("/api/rooms", json={"name": f"r{n}", "game": "cabo"})
            for n, side in enumerate([alice, on(remote_b, alice)] * 3)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"already_in_room"}
