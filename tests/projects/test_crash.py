"""What a crash does to an open project: the edits since the last save are in memory only, and a save
comes at most ``ROOMSERVICE_WORKSHOP_AUTOSAVE`` seconds after the first edit that follows a save. So
SIGKILL keeps everything autosaved and loses at most the edits of the last interval; a graceful stop
loses nothing (docs/workshop.md, "What survives a crash")."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from roomservice.client import Client, EditApplied, ProjectSnapshot, Saved
from tests.engine.test_restart import Process

pytestmark = pytest.mark.slow

AUTOSAVE = 1.0


def cube(x: int) -> dict[str, Any]:
    return {"x": x, "y": 0, "z": 0, "color": "#00aa00"}


async def account(url: str, username: str) -> str:
    """A token of a session signed up as ``username``."""
    async with httpx.AsyncClient(base_url=url) as http:
        token = (await http.post("/api/session", json={"username": username})).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        resp = await http.post(
            "/api/accounts", json={"username": username, "password": "correct horse"}, headers=auth
        )
        assert resp.status_code == 201, resp.text
    return str(token)


async def test_sigkill_keeps_what_was_autosaved_and_a_graceful_stop_keeps_everything(
    database_url: str, tmp_path: Path
) -> None:
    process = Process(database_url, tmp_path)
    process.env["ROOMSERVICE_WORKSHOP_AUTOSAVE"] = str(AUTOSAVE)
    await process.start()
    try:
        async with Client(process.url, await account(process.url, "alice")) as alice:
            project = await alice.create_project("Durable")
            sock = await alice.connect()
            await sock.open_project(project.id)
            await sock.wait_for(ProjectSnapshot)
            await sock.edit({"kind": "place", **cube(0)}, ref="a")
            await sock.wait_for(EditApplied, lambda e: e.ref == "a")
            saved = await sock.wait_for(Saved, timeout=10)
            assert (saved.version, saved.auto) == (1, True)

            # An edit the next autosave would write, cut off by SIGKILL before it comes.
            edited_at = time.monotonic()
            await sock.edit({"kind": "place", **cube(1)}, ref="b")
            await sock.wait_for(EditApplied, lambda e: e.ref == "b")
            killed_at = time.monotonic()
            process.kill()
            await sock.close()

            await process.start()
            durable = await alice.project(project.id)
            assert durable.content is not None
            cubes = durable.content["cubes"]
            assert cubes in ([cube(0)], [cube(0), cube(1)])  # at most the last interval is lost
            if killed_at < edited_at + AUTOSAVE - 0.2:
                assert (cubes, durable.version) == ([cube(0)], 1)
            again = await alice.connect()
            await again.open_project(project.id)
            snapshot = await again.wait_for(ProjectSnapshot)
            assert snapshot.content == durable.content and snapshot.changed is False

            # A graceful stop saves what changed.
            await again.edit({"kind": "place", **cube(2)}, ref="c")
            await again.wait_for(EditApplied, lambda e: e.ref == "c")
            await again.close()
            process.stop()
            await process.start()
            after = await alice.project(project.id)
            assert after.content is not None and cube(2) in after.content["cubes"]
            assert after.version == durable.version + 1
    finally:
        process.stop()
