"""Projects over HTTP, on SQLite and PostgreSQL: who may create, read, change and delete them, the
collaborators, the versions, and the answers everyone else gets."""

from __future__ import annotations

from tests.conftest import Api
from tests.projects.helpers import error_code, member, new_project

CUBE = {"x": 1, "y": 2, "z": 3, "color": "#ff8800"}


async def test_an_account_creates_a_project_at_version_0(api: Api) -> None:
    alice = await member(api, "alice")
    project = await new_project(alice, "  Castle  ", description="A keep")
    assert project["name"] == "Castle" and project["description"] == "A keep"
    assert project["owner"] == "alice" and project["collaborators"] == []
    assert project["version"] == 0
    assert project["content"] == {"size": [32, 32, 32], "cubes": []}
    assert project["saved_at"].endswith("Z") and project["created_at"] == project["saved_at"]
    got = await alice.http.get(f"/api/projects/{project['id']}")
    assert got.status_code == 200 and got.json() == project


async def test_a_project_may_start_from_content(api: Api) -> None:
    alice = await member(api, "alice")
    project = await new_project(alice, content={"size": [8, 8, 8], "cubes": [CUBE | {"color": "#FF8800"}]})
    assert project["content"] == {"size": [8, 8, 8], "cubes": [CUBE]}
    versions = (await alice.http.get(f"/api/projects/{project['id']}/versions")).json()["versions"]
    assert [(v["version"], v["cubes"], v["saved_by"], v["auto"]) for v in versions] == [
        (0, 1, "alice", False)
    ]
    zero = (await alice.http.get(f"/api/projects/{project['id']}/versions/0")).json()
    assert zero["content"] == project["content"]


async def test_bad_input_gets_the_rule_it_breaks(api: Api) -> None:
    alice = await member(api, "alice")
    cases = [
        ({"name": ""}, "invalid_name"),
        ({"name": "x" * 81}, "invalid_name"),
        ({"name": 7}, "invalid_name"),
        ({"name": "ok", "description": ["no"]}, "invalid_description"),
        ({"name": "ok", "content": {"cubes": [CUBE | {"x": 32}]}}, "out_of_bounds"),
        ({"name": "ok", "content": {"cubes": [CUBE | {"color": "orange"}]}}, "invalid_color"),
        ({"name": "ok", "content": {"cubes": "none"}}, "invalid_content"),
    ]
    for body, code in cases:
        resp = await alice.http.post("/api/projects", json=body)
        assert resp.status_code == 422 and error_code(resp) == code, (body, resp.text)


async def test_guests_get_account_required_everywhere(api: Api) -> None:
    alice = await member(api, "alice")
    project = await new_project(alice)
    guest = await api.user("guest")
    pid = project["id"]
    for method, path in [
        ("POST", "/api/projects"),
        ("GET", "/api/projects"),
        ("GET", f"/api/projects/{pid}"),
        ("PATCH", f"/api/projects/{pid}"),
        ("DELETE", f"/api/projects/{pid}"),
        ("PUT", f"/api/projects/{pid}/collaborators/alice"),
        ("GET", f"/api/projects/{pid}/versions"),
    ]:
        resp = await guest.http.request(method, path, json={"name": "x"})
        assert resp.status_code == 403 and error_code(resp) == "account_required", (method, path)


async def test_only_the_owner_and_collaborators_can_read_it(api: Api) -> None:
    alice, bob, carol = await member(api, "alice"), await member(api, "bob"), await member(api, "carol")
    project = await new_project(alice)
    pid = project["id"]
    for path in (f"/api/projects/{pid}", f"/api/projects/{pid}/versions", f"/api/projects/{pid}/versions/0"):
        resp = await bob.http.get(path)
        assert resp.status_code == 403 and error_code(resp) == "not_collaborator"
    resp = await bob.http.get("/api/projects/no-such-project")
    assert resp.status_code == 404 and error_code(resp) == "project_not_found"
    added = await alice.http.put(f"/api/projects/{pid}/collaborators/BOB")
    assert added.status_code == 200 and added.json()["collaborators"] == ["bob"]
    assert (await bob.http.get(f"/api/projects/{pid}")).status_code == 200
    assert [p["id"] for p in (await bob.http.get("/api/projects")).json()["projects"]] == [pid]
    assert (await carol.http.get("/api/projects")).json() == {"projects": []}
    missing = await alice.http.get(f"/api/projects/{pid}/versions/7")
    assert missing.status_code == 404 and error_code(missing) == "version_not_found"


async def test_the_list_holds_ones_own_and_shared_projects_newest_change_first(api: Api) -> None:
    alice, bob = await member(api, "alice"), await member(api, "bob")
    first = await new_project(alice, "First")
    theirs = await new_project(bob, "Theirs")
    await new_project(bob, "Not shared")
    await bob.http.put(f"/api/projects/{theirs['id']}/collaborators/alice")
    listed = (await alice.http.get("/api/projects")).json()["projects"]
    assert {p["name"] for p in listed} == {"First", "Theirs"}
    assert all("content" not in p for p in listed)
    assert first["id"] in {p["id"] for p in listed}


async def test_collaborators_are_the_owners_to_change(api: Api) -> None:
    alice, bob, carol = await member(api, "alice"), await member(api, "bob"), await member(api, "carol")
    pid = (await new_project(alice))["id"]
    await alice.http.put(f"/api/projects/{pid}/collaborators/bob")
    for method in ("PUT", "DELETE"):
        resp = await bob.http.request(method, f"/api/projects/{pid}/collaborators/carol")
        assert resp.status_code == 403 and error_code(resp) == "not_owner", method
    resp = await carol.http.put(f"/api/projects/{pid}/collaborators/carol")
    assert resp.status_code == 403 and error_code(resp) == "not_collaborator"
    resp = await alice.http.put(f"/api/projects/{pid}/collaborators/nobody")
    assert resp.status_code == 404 and error_code(resp) == "account_not_found"
    await api.user("dave")  # a guest's name is no account
    resp = await alice.http.put(f"/api/projects/{pid}/collaborators/dave")
    assert resp.status_code == 404 and error_code(resp) == "account_not_found"
    again = await alice.http.put(f"/api/projects/{pid}/collaborators/bob")
    assert again.json()["collaborators"] == ["bob"], "adding twice is adding once"
    gone = await alice.http.delete(f"/api/projects/{pid}/collaborators/bob")
    assert gone.status_code == 200 and gone.json()["collaborators"] == []
    assert (await bob.http.get(f"/api/projects/{pid}")).status_code == 403


async def test_a_collaborator_may_take_themselves_off(api: Api) -> None:
    alice, bob = await member(api, "alice"), await member(api, "bob")
    pid = (await new_project(alice))["id"]
    await alice.http.put(f"/api/projects/{pid}/collaborators/bob")
    resp = await bob.http.delete(f"/api/projects/{pid}/collaborators/Bob")
    assert resp.status_code == 200 and resp.json()["collaborators"] == []


async def test_patch_renames_and_hands_over(api: Api) -> None:
    alice, bob = await member(api, "alice"), await member(api, "bob")
    pid = (await new_project(alice))["id"]
    await alice.http.put(f"/api/projects/{pid}/collaborators/bob")
    renamed = await bob.http.patch(f"/api/projects/{pid}", json={"name": "Tower", "description": "tall"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Tower" and renamed.json()["description"] == "tall"
    refused = await bob.http.patch(f"/api/projects/{pid}", json={"owner": "bob"})
    assert refused.status_code == 403 and error_code(refused) == "not_owner"
    bad = await alice.http.patch(f"/api/projects/{pid}", json={"name": " "})
    assert bad.status_code == 422 and error_code(bad) == "invalid_name"
    handed = await alice.http.patch(f"/api/projects/{pid}", json={"owner": "bob"})
    assert handed.json()["owner"] == "bob" and handed.json()["collaborators"] == ["alice"]
    resp = await alice.http.delete(f"/api/projects/{pid}")
    assert resp.status_code == 403 and error_code(resp) == "not_owner"


async def test_the_owner_deletes_it(api: Api) -> None:
    alice = await member(api, "alice")
    pid = (await new_project(alice))["id"]
    resp = await alice.http.delete(f"/api/projects/{pid}")
    assert resp.status_code == 200 and resp.json() == {"id": pid, "deleted": True}
    assert (await alice.http.get(f"/api/projects/{pid}")).status_code == 404
    assert (await alice.http.get(f"/api/projects/{pid}/versions")).status_code == 404
