"""The workshop's timers on a server whose time moves only when the test says so: a dropped
collaborator's grace, coming back and resuming, autosave, and the cursor throttle."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.projects.room import CURSOR_INTERVAL
from tests.conftest import Api, Server
from tests.fakes import ManualScheduler
from tests.projects.helpers import member, new_project
from tests.projects.test_socket import opened, place, two
from tests.realtime.wsclient import Sock

pytestmark = pytest.mark.manual_time

GRACE = 60  # ROOMSERVICE_RECONNECT_GRACE's default
AUTOSAVE = 10  # ROOMSERVICE_WORKSHOP_AUTOSAVE's default


async def quiet(sock: Sock) -> list[str]:
    """Frame types that reached ``sock`` up to the pong of a ping sent now."""
    start = len(sock.seen)
    await sock.send({"type": "ping", "ref": "q"})
    await sock.expect("pong", ref="q")
    return [f["type"] for f in sock.seen[start:-1]]


async def drop(scheduler: ManualScheduler, sock: Sock) -> None:
    """Cut ``sock`` and return once the server has set its grace timer."""
    timers = len(scheduler.pending())
    await sock.ws.close()
    await asyncio.wait_for(scheduler.wait_pending(timers + 1), 5)


async def test_a_dropped_collaborator_leaves_after_the_grace(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    _, _, _, a, b = await two(server, remote)
    await drop(scheduler, b)
    await scheduler.advance(GRACE - 1)
    assert "collaborator_left" not in await quiet(a)
    await scheduler.advance(1)
    left = await a.expect("collaborator_left", username="bob")
    assert left["reason"] == "disconnected"


async def test_the_last_to_drop_is_saved_and_evicted_after_the_grace(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    alice = await member(remote, "alice")
    pid = (await new_project(alice))["id"]
    a, _ = await opened(server, alice, pid)
    await a.send(place(3, 3, 3, ref="p"))
    await a.expect("edit", ref="p")
    workshop = server.app.state.services.workshop
    room = workshop.rooms[pid]
    await drop(scheduler, a)
    await scheduler.advance(GRACE - 1)
    assert workshop.rooms.get(pid) is room
    await scheduler.advance(1)
    await asyncio.wait_for(room.task, 5)
    assert workshop.rooms == {}
    project = (await alice.http.get(f"/api/projects/{pid}")).json()
    assert project["version"] == 1 and project["content"]["cubes"] == [
        {"x": 3, "y": 3, "z": 3, "color": "#ff0000"}
    ]


async def test_back_within_the_grace_with_last_seq_gets_what_it_missed(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    _, bob, pid, a, b = await two(server, remote)
    await a.send(place(0, 0, 0))
    last = (await b.expect("edit"))["seq"]
    await drop(scheduler, b)
    await a.send(place(1, 0, 0))
    await a.send(place(2, 0, 0))
    await a.expect("edit", set=[{"x": 2, "y": 0, "z": 0, "color": "#ff0000"}])
    await scheduler.advance(GRACE / 2)
    b = await Sock.open(server, bob)
    await b.send({"type": "project_open", "project_id": pid, "last_seq": last})
    missed = [await b.next(), await b.next()]
    assert [f["type"] for f in missed] == ["edit", "edit"]
    assert [f["set"][0]["x"] for f in missed] == [1, 2] and missed[0]["seq"] > last
    assert "collaborator_joined" not in await quiet(a), "bob never left"
    await scheduler.advance(GRACE)
    assert "collaborator_left" not in await quiet(a)


async def test_back_too_late_gets_a_snapshot(server: Server, remote: Api, scheduler: ManualScheduler) -> None:
    _, bob, pid, a, b = await two(server, remote)
    await drop(scheduler, b)
    await scheduler.advance(GRACE)
    await a.expect("collaborator_left", username="bob")
    b = await Sock.open(server, bob)
    await b.send({"type": "project_open", "project_id": pid, "last_seq": 0})
    await b.expect("project_snapshot")
    await a.expect("collaborator_joined", username="bob")


async def test_edits_are_autosaved_within_the_interval(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    alice, _, pid, a, b = await two(server, remote)
    await a.send(place(0, 0, 0))
    await b.expect("edit")
    await scheduler.advance(AUTOSAVE - 1)
    assert "saved" not in await quiet(a)
    await a.send(place(1, 0, 0))
    await b.expect("edit")
    await scheduler.advance(1)
    saved = await b.expect("saved")
    assert (saved["version"], saved["auto"], saved["saved_by"]) == (1, True, None)
    await a.expect("saved")
    assert len((await alice.http.get(f"/api/projects/{pid}")).json()["content"]["cubes"]) == 2
    await scheduler.advance(AUTOSAVE * 3)
    assert "saved" not in await quiet(a), "nothing changed since"


async def test_cursors_are_throttled_and_the_newest_wins(
    server: Server, remote: Api, scheduler: ManualScheduler
) -> None:
    _, _, _, a, b = await two(server, remote)
    for x in range(5):
        await a.send({"type": "cursor", "x": x, "y": 1, "z": 2})
    first = await b.expect("cursor")
    assert first == {"type": "cursor", "username": "alice", "x": 0, "y": 1, "z": 2}
    assert "cursor" not in await quiet(b)
    await scheduler.advance(CURSOR_INTERVAL)
    assert (await b.expect("cursor"))["x"] == 4
    await scheduler.advance(CURSOR_INTERVAL)
    assert "cursor" not in await quiet(b)
    await a.send({"type": "cursor"})
    hidden = await b.expect("cursor")
    assert (hidden["x"], hidden["y"], hidden["z"]) == (None, None, None)
