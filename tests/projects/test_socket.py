"""The workshop over a real socket: opening a project joins its room, edits reach everyone in one order,
saves, metadata, restores, undo and redo, and who may open a project at all."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api, Server, User
from tests.projects.helpers import member, new_project
from tests.realtime.wsclient import Sock


def place(x: int, y: int, z: int, color: str = "#ff0000", ref: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "edit", "op": {"kind": "place", "x": x, "y": y, "z": z, "color": color}}
    if ref is not None:
        frame["ref"] = ref
    return frame


async def opened(server: Server, user: User, project_id: str) -> tuple[Sock, dict[str, Any]]:
    """A socket of ``user`` with the project open, and the snapshot it got."""
    sock = await Sock.open(server, user)
    await sock.send({"type": "project_open", "project_id": project_id})
    snapshot = await sock.expect("project_snapshot")
    return sock, snapshot


async def two(server: Server, remote: Api) -> tuple[User, User, str, Sock, Sock]:
    alice, bob = await member(remote, "alice"), await member(remote, "bob")
    pid = (await new_project(alice))["id"]
    await alice.http.put(f"/api/projects/{pid}/collaborators/bob")
    a, _ = await opened(server, alice, pid)
    await a.expect("collaborator_joined", username="alice")
    b, _ = await opened(server, bob, pid)
    await b.expect("collaborator_joined", username="bob")
    await a.expect("collaborator_joined", username="bob")
    return alice, bob, pid, a, b


async def test_the_first_to_open_is_told_of_themselves_and_sees_the_content(
    server: Server, remote: Api
) -> None:
    alice = await member(remote, "alice")
    cube = {"x": 0, "y": 0, "z": 0, "color": "#123456"}
    project = await new_project(alice, content={"cubes": [cube]})
    a, snapshot = await opened(server, alice, project["id"])
    assert snapshot["content"] == {"size": [32, 32, 32], "cubes": [cube]}
    assert snapshot["project"]["id"] == project["id"] and snapshot["project"]["version"] == 0
    assert snapshot["present"] == [] and snapshot["changed"] is False
    assert snapshot["can_undo"] is False and snapshot["can_redo"] is False
    joined = await a.expect("collaborator_joined")
    assert joined["username"] == "alice" and joined["seq"] == snapshot["seq"] + 1


async def test_a_later_opener_shares_the_copy_in_memory(server: Server, remote: Api) -> None:
    alice, _bob, pid, a, b = await two(server, remote)
    await a.send(place(1, 1, 1))
    await b.expect("edit")
    workshop = server.app.state.services.workshop
    assert list(workshop.rooms) == [pid]
    carol = await member(remote, "carol")
    await alice.http.put(f"/api/projects/{pid}/collaborators/carol")
    c, snapshot = await opened(server, carol, pid)
    assert snapshot["content"]["cubes"] == [{"x": 1, "y": 1, "z": 1, "color": "#ff0000"}], "unsaved edits too"
    assert {p["username"] for p in snapshot["present"]} == {"alice", "bob"}
    assert snapshot["changed"] is True
    await c.close()


async def test_edits_reach_everyone_in_one_order_and_the_sender_gets_its_ref(
    server: Server, remote: Api
) -> None:
    _, _, _, a, b = await two(server, remote)
    for i in range(5):
        await a.send(place(i, 0, 0, ref=f"a{i}"))
        await b.send(place(i, 0, 0, "#00ff00", ref=f"b{i}"))
    seen: dict[str, list[tuple[int, str]]] = {}
    for name, sock in (("a", a), ("b", b)):
        frames = [await sock.expect("edit") for _ in range(10)]
        seen[name] = [(f["seq"], f["set"][0]["color"] if f["set"] else "") for f in frames]
        own = [f for f in frames if f.get("ref")]
        assert len(own) == 5 and all(f["ref"].startswith(name) for f in own)
        assert all(f["by"] == ("alice" if f.get("ref", name).startswith("a") else "bob") for f in own)
    assert seen["a"] == seen["b"]
    assert [s for s, _ in seen["a"]] == sorted(s for s, _ in seen["a"])


async def test_a_broken_rule_is_told_to_the_sender_only(server: Server, remote: Api) -> None:
    _, _, _, a, b = await two(server, remote)
    cases = [
        (place(32, 0, 0, ref=1), "out_of_bounds"),
        (place(0, 0, 0, "red", ref=2), "invalid_color"),
        (
            {
                "type": "edit",
                "ref": 3,
                "op": {"kind": "fill", "from": [0, 0, 0], "to": [31, 31, 31], "color": "#ffffff"},
            },
            "too_many_cubes",
        ),
        (
            {
                "type": "edit",
                "ref": 4,
                "op": {"kind": "recolour", "x": 0, "y": 0, "z": 0, "color": "#ffffff"},
            },
            "no_cube",
        ),
        ({"type": "edit", "ref": 5, "op": {"kind": "restore", "version": 9}}, "version_not_found"),
        ({"type": "undo", "ref": 6}, "nothing_to_undo"),
        ({"type": "edit", "ref": 7, "op": {"kind": "place", "x": 1}}, "invalid_frame"),
        ({"type": "cursor", "ref": 8, "x": 1}, "invalid_frame"),
        ({"type": "cursor", "ref": 9, "x": 1, "y": 99, "z": 1}, "out_of_bounds"),
    ]
    for frame, code in cases:
        await a.send(frame)
        refused = await a.expect("error")
        assert (refused["code"], refused["ref"]) == (code, frame["ref"]), refused
    await b.send({"type": "ping", "ref": "q"})
    await b.expect("pong")
    assert not any(f["type"] in ("edit", "error") for f in b.seen)


async def test_who_may_open_a_project(server: Server, remote: Api) -> None:
    alice, carol = await member(remote, "alice"), await member(remote, "carol")
    pid = (await new_project(alice))["id"]
    c = await Sock.open(server, carol)
    await c.send({"type": "project_open", "project_id": pid, "ref": 1})
    assert (await c.expect("error"))["code"] == "not_collaborator"
    await c.send({"type": "project_open", "project_id": "nope", "ref": 2})
    assert (await c.expect("error"))["code"] == "project_not_found"
    await c.send(place(0, 0, 0, ref=3))
    assert (await c.expect("error"))["code"] == "not_in_project"
    guest = await remote.user("guest")
    g = await Sock.open(server, guest)
    await g.send({"type": "project_open", "project_id": pid, "ref": 4})
    assert (await g.expect("error"))["code"] == "account_required"
    assert server.app.state.services.workshop.rooms == {}, "nobody opened it"


async def test_save_writes_a_version_and_tells_everyone(server: Server, remote: Api) -> None:
    alice, bob, pid, a, b = await two(server, remote)
    await a.send(place(2, 3, 4))
    await b.expect("edit")
    await b.send({"type": "save", "ref": "s"})
    mine = await b.expect("saved")
    theirs = await a.expect("saved")
    assert mine["ref"] == "s" and "ref" not in theirs
    assert (theirs["saved_by"], theirs["version"], theirs["auto"]) == ("bob", 1, False)
    assert theirs["seq"] == mine["seq"] and theirs["saved_at"].endswith("Z")
    project = (await alice.http.get(f"/api/projects/{pid}")).json()
    assert project["version"] == 1 and project["content"]["cubes"] == [
        {"x": 2, "y": 3, "z": 4, "color": "#ff0000"}
    ]
    # Nothing changed since: no new version, the sender alone hears of the last save.
    await a.send({"type": "save", "ref": "again"})
    again = await a.expect("saved", ref="again")
    assert (again["version"], again["saved_by"]) == (1, "bob") and "seq" not in again
    versions = (await bob.http.get(f"/api/projects/{pid}/versions")).json()["versions"]
    assert [(v["version"], v["saved_by"], v["cubes"]) for v in versions] == [(1, "bob", 1), (0, "alice", 0)]


async def test_undo_redo_and_restore_are_edits_for_everyone(server: Server, remote: Api) -> None:
    _, _, _, a, b = await two(server, remote)
    await a.send(place(0, 0, 0))
    await b.expect("edit")
    await a.send({"type": "save"})
    await b.expect("saved", version=1)
    await b.send(place(1, 0, 0, "#0000ff"))
    await a.expect("edit", by="bob")
    await a.send({"type": "undo", "ref": "u"})
    undone = await b.expect("edit", by="alice")
    assert undone["op"] == {"kind": "undo"} and undone["removed"] == [{"x": 0, "y": 0, "z": 0}]
    await a.send({"type": "redo"})
    redone = await b.expect("edit", by="alice")
    assert redone["op"] == {"kind": "redo"} and redone["set"] == [
        {"x": 0, "y": 0, "z": 0, "color": "#ff0000"}
    ]
    await b.send({"type": "edit", "op": {"kind": "restore", "version": 0}})
    restored = await a.expect("edit", by="bob")
    assert restored["op"] == {"kind": "restore", "version": 0}
    assert sorted(c["x"] for c in restored["removed"]) == [0, 1]
    await b.send({"type": "undo"})
    back = await a.expect("edit", by="bob")
    assert sorted(c["x"] for c in back["set"]) == [0, 1]


async def test_metadata_changes_are_committed_and_broadcast(server: Server, remote: Api) -> None:
    alice, _bob, pid, a, b = await two(server, remote)
    await b.send({"type": "meta_change", "name": "Tower"})
    change = await a.expect("meta_change")
    assert change["by"] == "bob" and change["name"] == "Tower" and change["project"]["name"] == "Tower"
    assert "description" not in change
    await b.expect("meta_change")
    assert (await alice.http.get(f"/api/projects/{pid}")).json()["name"] == "Tower"
    await b.send({"type": "meta_change", "collaborators": [], "ref": "x"})
    assert (await b.expect("error"))["code"] == "not_owner"
    await b.send({"type": "meta_change", "ref": "y"})
    assert (await b.expect("error"))["code"] == "invalid_meta"
    # Over HTTP while it is open: the room hears of it too.
    await alice.http.patch(f"/api/projects/{pid}", json={"description": "tall"})
    assert (await b.expect("meta_change"))["description"] == "tall"


async def test_a_removed_collaborator_is_put_out(server: Server, remote: Api) -> None:
    _alice, _bob, pid, a, b = await two(server, remote)
    await a.send({"type": "meta_change", "collaborators": []})
    closed = await b.expect("project_closed")
    assert closed == {"type": "project_closed", "project_id": pid, "reason": "removed"}
    left = await a.expect("collaborator_left", username="bob")
    assert left["reason"] == "removed"
    await b.send(place(0, 0, 0, ref=1))
    assert (await b.expect("error"))["code"] == "not_in_project"
    await b.send({"type": "project_open", "project_id": pid, "ref": 2})
    assert (await b.expect("error"))["code"] == "not_collaborator"


async def test_deleting_an_open_project_closes_it_for_everyone(server: Server, remote: Api) -> None:
    alice, _, pid, a, b = await two(server, remote)
    await alice.http.delete(f"/api/projects/{pid}")
    for sock in (a, b):
        assert (await sock.expect("project_closed"))["reason"] == "deleted"
    room_gone = server.app.state.services.workshop
    for _ in range(100):
        if not room_gone.rooms:
            break
        await asyncio.sleep(0.01)
    assert room_gone.rooms == {}


async def test_the_last_to_leave_saves_and_closes_the_room(server: Server, remote: Api) -> None:
    alice, bob, pid, a, b = await two(server, remote)
    workshop = server.app.state.services.workshop
    room = workshop.rooms[pid]
    await a.send(place(5, 5, 5))
    await b.expect("edit")
    await b.send({"type": "project_leave"})
    left = await a.expect("collaborator_left", username="bob")
    assert left["reason"] == "left"
    await a.send({"type": "project_leave"})
    await asyncio.wait_for(room.task, 5)
    assert workshop.rooms == {}
    project = (await bob.http.get(f"/api/projects/{pid}")).json()
    assert project["version"] == 1 and len(project["content"]["cubes"]) == 1
    versions = (await bob.http.get(f"/api/projects/{pid}/versions")).json()["versions"]
    assert (versions[0]["auto"], versions[0]["saved_by"]) == (True, None)
    # Opened again: loaded from the database, numbered above everything sent before.
    a2, snapshot = await opened(server, alice, pid)
    assert snapshot["content"] == project["content"] and snapshot["changed"] is False
    assert snapshot["seq"] > left["seq"]
    await a2.close()


async def test_opening_another_project_leaves_the_first(server: Server, remote: Api) -> None:
    alice, _bob, _pid, a, b = await two(server, remote)
    other = (await new_project(alice, "Other"))["id"]
    await a.send({"type": "project_open", "project_id": other})
    await a.expect("project_snapshot")
    assert (await b.expect("collaborator_left", username="alice"))["reason"] == "left"


async def test_one_account_on_two_devices_is_one_collaborator(server: Server, remote: Api) -> None:
    _, _, pid, a, b = await two(server, remote)
    login = await remote.client().post("/api/login", json={"username": "bob", "password": "correct horse"})
    tablet = User(remote.client(), login.json()["session_id"], "bob", login.json()["token"])
    tablet.http.headers["Authorization"] = f"Bearer {tablet.token}"
    t, snapshot = await opened(server, tablet, pid)
    assert {p["username"] for p in snapshot["present"]} == {"alice", "bob"}
    await a.send({"type": "ping", "ref": "mark"})
    await a.expect("pong", ref="mark")
    start = len(a.seen)
    await b.send({"type": "project_leave"})
    await t.send(place(0, 0, 0, ref="t"))
    await t.expect("edit", ref="t")
    await a.expect("edit", by="bob")
    assert [f["type"] for f in a.seen[start:]] == ["edit"], "bob is still here on the tablet"
    await t.send({"type": "project_leave"})
    assert (await a.expect("collaborator_left", username="bob"))["reason"] == "left"
