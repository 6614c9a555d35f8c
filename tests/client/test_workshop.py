"""The Python client in the workshop: project calls, typed project events, and a socket that comes back
after a cut opens its project again and gets exactly the edits it missed."""

from __future__ import annotations

import asyncio

import pytest

from roomservice.client import (
    ApiError,
    Client,
    CollaboratorJoined,
    EditApplied,
    ProjectSnapshot,
    Saved,
)
from roomservice.config import Settings
from tests.client.conftest import Clients, Gate
from tests.client.test_resume import cut


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.ws_rate_limit = 0
    return settings


async def account(clients: Clients, name: str) -> Client:
    client = await clients.new(name)
    resp = await client._http.post(
        "/api/accounts",
        json={"username": name, "password": "correct horse"},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert resp.status_code == 201, resp.text
    return client


def place(x: int) -> dict[str, object]:
    return {"kind": "place", "x": x, "y": 0, "z": 0, "color": "#123abc"}


async def test_projects_over_http(clients: Clients) -> None:
    alice, bob = await account(clients, "alice"), await account(clients, "bob")
    project = await alice.create_project(
        "Castle", "keep", {"cubes": [{"x": 1, "y": 1, "z": 1, "color": "#ffffff"}]}
    )
    assert project.version == 0 and project.content is not None and len(project.content["cubes"]) == 1
    with pytest.raises(ApiError) as refused:
        await bob.project(project.id)
    assert (refused.value.status, refused.value.code) == (403, "not_collaborator")
    shared = await alice.add_collaborator(project.id, "bob")
    assert shared.collaborators == ["bob"]
    assert [p.id for p in await bob.projects()] == [project.id]
    renamed = await bob.update_project(project.id, name="Tower")
    assert renamed.name == "Tower"
    (zero,) = await bob.versions(project.id)
    assert (zero.version, zero.cubes, zero.saved_by) == (0, 1, "alice")
    assert (await bob.version(project.id, 0)).content == project.content
    await alice.remove_collaborator(project.id, "bob")
    await alice.delete_project(project.id)
    assert await alice.projects() == []


async def test_a_cut_socket_opens_its_project_again_and_misses_nothing(clients: Clients) -> None:
    alice, bob = await account(clients, "alice"), await account(clients, "bob")
    project = await alice.create_project("Castle")
    await alice.add_collaborator(project.id, "bob")
    editor = await alice.connect()
    await editor.open_project(project.id)
    await editor.wait_for(ProjectSnapshot)
    gate = Gate()
    watcher = await bob.connect(sleep=gate)
    await watcher.open_project(project.id)
    snapshot = await watcher.wait_for(ProjectSnapshot)
    assert snapshot.content == {"size": [32, 32, 32], "cubes": []}
    await watcher.wait_for(CollaboratorJoined, lambda e: e.username == "bob")
    await editor.edit(place(0))
    await watcher.wait_for(EditApplied)

    await cut(watcher)
    await asyncio.wait_for(gate.waiting.wait(), 5)
    for x in (1, 2, 3):
        await editor.edit(place(x), ref=x)
        await editor.wait_for(EditApplied, lambda e, x=x: e.ref == x)
    gate.open()
    missed = [await watcher.wait_for(EditApplied, timeout=5) for _ in range(3)]
    assert [e.placed[0]["x"] for e in missed] == [1, 2, 3]
    await watcher.save(ref="s")
    saved = await watcher.wait_for(Saved)
    assert (saved.version, saved.saved_by, saved.ref) == (1, "bob", "s")
    await watcher.save(ref="again")  # nothing changed: the last save again, unnumbered, still delivered
    again = await watcher.wait_for(Saved)
    assert (again.version, again.ref, again.seq) == (1, "again", 0)
