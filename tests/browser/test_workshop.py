"""The workshop in the browser: two accounts in two browsers edit one sculpture and see each other's
cubes and cursors appear, a third account is refused, and logging in again from another browser shows
exactly what was saved."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import People, shot

PASSWORD = "voxels all the way"


def member(people: People, name: str) -> Page:
    """A new browser whose visitor signs up as ``name`` on the account page."""
    page = people.page(people.context(1400, 900))
    page.goto("/account")
    form = page.locator("form#signup")
    form.get_by_label("Username").fill(name)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    expect(page.locator("#account-name")).to_have_text(name)
    return page


def cell(page: Page, x: int, z: int) -> object:
    return page.locator(f'#grid .cell[data-x="{x}"][data-z="{z}"]')


@pytest.mark.slow
def test_two_accounts_build_together_and_a_third_is_refused(people: People) -> None:
    tag = secrets.token_hex(2)
    ann_name, ben_name, cat_name = f"ann_{tag}", f"ben_{tag}", f"cat_{tag}"
    ann = member(people, ann_name)
    ben = member(people, ben_name)

    ann.goto("/")
    ann.get_by_role("link", name="Open the workshop").click()
    expect(ann.get_by_role("heading", name="Workshop", exact=True)).to_be_visible()
    ann.get_by_label("Name", exact=True).fill("Castle")
    ann.get_by_role("button", name="Create project").click()
    expect(ann).to_have_url(re.compile(r"/workshop/[0-9a-f-]{36}$"))
    project_id = ann.url.rsplit("/", 1)[1]
    expect(ann.locator("#project-name")).to_have_text("Castle")
    expect(ann.locator("#save-status")).to_have_text("Saved · version 0")
    ann.locator("#add-collaborator-name").fill(ben_name)
    ann.get_by_role("button", name="Add collaborator").click()
    expect(ann.locator("#collaborators")).to_have_text(f"Collaborators: {ben_name}")

    ben.goto("/workshop")
    ben.get_by_role("link", name="Castle").click()
    expect(ben.locator("#grid")).to_be_visible()
    expect(ann.locator(f'#present li[data-person="{ben_name}"]')).to_be_visible()
    expect(ben.locator(f'#present li[data-person="{ann_name}"]')).to_be_visible()

    # Each sees the other's cubes appear.
    cell(ann, 3, 4).click()
    expect(cell(ben, 3, 4)).to_have_attribute("data-color", "#2f5fd0")
    ben.get_by_role("button", name="Colour #4caf50").click()
    cell(ben, 5, 5).click()
    expect(cell(ann, 5, 5)).to_have_attribute("data-color", "#4caf50")
    ann.locator("#layer").fill("1")
    cell(ann, 3, 4).click()  # a cube on top of the first one
    expect(ann.locator("#cube-count")).to_have_text("3 cubes")
    expect(ben.locator("#cube-count")).to_have_text("3 cubes")
    expect(ben.locator("#save-status")).to_have_text("Unsaved changes")

    # ... and the other's cursor, on the layer they point at.
    ann.locator("#layer").fill("0")
    cell(ann, 10, 10).hover()
    expect(cell(ben, 10, 10)).to_have_attribute("data-cursor", ann_name)
    shot(ben, "workshop-editor")

    ann.get_by_role("button", name="Save").click()
    expect(ann.locator("#save-status")).to_have_text("Saved · version 1")
    expect(ben.locator("#save-status")).to_have_text("Saved · version 1")
    expect(ben.locator('#versions li[data-version="1"]')).to_contain_text(f"by {ann_name}")

    # Someone who is not a collaborator can neither read nor open it.
    cat = member(people, cat_name)
    assert cat.request.get(f"/api/projects/{project_id}").status == 403
    cat.goto(f"/workshop/{project_id}")
    expect(cat.locator("#denied")).to_contain_text("You are not a collaborator of this project")
    expect(cat.locator("#grid")).to_have_count(0)

    # Ben leaves; the others see it.
    ben.close()
    expect(ann.locator(f'#present li[data-person="{ben_name}"]')).to_have_count(0)

    # The next day, from another browser: exactly what was saved.
    saved = ann.request.get(f"/api/projects/{project_id}").json()
    ann.close()
    later = people.page(people.context(1400, 900))
    later.goto("/account")
    form = later.locator("form#login")
    form.get_by_label("Username").fill(ann_name)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(later.locator("#account-name")).to_have_text(ann_name)
    later.goto("/workshop")
    later.get_by_role("link", name="Castle").click()
    expect(later.locator("#cube-count")).to_have_text(f"{len(saved['content']['cubes'])} cubes")
    for cube in saved["content"]["cubes"]:
        later.locator("#layer").fill(str(cube["y"]))
        expect(cell(later, cube["x"], cube["z"])).to_have_attribute("data-color", cube["color"])
    expect(later.locator("#save-status")).to_have_text(re.compile(r"Saved · version \d+"))
    shot(later, "workshop-next-day")
