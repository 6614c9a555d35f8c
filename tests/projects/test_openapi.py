"""The projects' answers are the ones the OpenAPI schema documents, successes and errors alike."""

from __future__ import annotations

from tests.conftest import Api
from tests.projects.helpers import member, new_project
from tests.web.test_openapi import _conforms


async def test_project_bodies_are_the_documented_ones(api: Api) -> None:
    alice, bob = await member(api, "alice"), await member(api, "bob")
    created = await alice.http.post("/api/projects", json={"name": "Castle", "content": {"cubes": []}})
    _conforms("post", "/api/projects", created)
    pid = created.json()["id"]
    base = "/api/projects/{project_id}"
    _conforms("get", "/api/projects", await alice.http.get("/api/projects"))
    _conforms("get", base, await alice.http.get(f"/api/projects/{pid}"))
    _conforms("patch", base, await alice.http.patch(f"/api/projects/{pid}", json={"description": "keep"}))
    people = base + "/collaborators/{username}"
    _conforms("put", people, await alice.http.put(f"/api/projects/{pid}/collaborators/bob"))
    _conforms("delete", people, await alice.http.delete(f"/api/projects/{pid}/collaborators/bob"))
    _conforms("get", base + "/versions", await alice.http.get(f"/api/projects/{pid}/versions"))
    _conforms("get", base + "/versions/{version}", await alice.http.get(f"/api/projects/{pid}/versions/0"))
    # And the errors.
    guest = await api.user("guest")
    _conforms("get", "/api/projects", await guest.http.get("/api/projects"))
    _conforms("get", base, await bob.http.get(f"/api/projects/{pid}"))
    _conforms("get", base, await bob.http.get("/api/projects/nope"))
    _conforms("put", people, await alice.http.put(f"/api/projects/{pid}/collaborators/nobody"))
    _conforms("put", people, await bob.http.put(f"/api/projects/{pid}/collaborators/bob"))
    _conforms("post", "/api/projects", await alice.http.post("/api/projects", json={"name": ""}))
    _conforms("get", base + "/versions/{version}", await alice.http.get(f"/api/projects/{pid}/versions/9"))
    _conforms("get", base + "/versions/{version}", await alice.http.get(f"/api/projects/{pid}/versions/-1"))
    other = await new_project(alice, "Other")
    _conforms("delete", base, await bob.http.delete(f"/api/projects/{other['id']}"))
    _conforms("delete", base, await alice.http.delete(f"/api/projects/{pid}"))
