"""An operator opens the admin console with the token, finds a room by its code, ends its stuck game,
and watches the game's replay; the console's charts move by themselves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_TOKEN, Guest, People, http_json, shot


@pytest.mark.slow
def test_an_operator_ends_a_stuck_game(people: People, base_url: str) -> None:
    # A host who started a game against a bot and walked away: it waits for their move for ever.
    host = Guest(base_url, "walked away")
    code = host.call("POST", "/api/rooms", {"name": "Stuck", "game": "tictactoe", "config": {"bots": 1}})[
        "room_code"
    ]
    game_id = host.call("POST", f"/api/rooms/{code}/start")["room"]["last_game_id"]

    page = people.page(people.context(1280, 900))
    page.goto("/admin")
    form = page.get_by_label("Admin token")
    form.fill("not the token")
    page.get_by_role("button", name="Open the console").click()
    expect(page.locator("#token-error")).to_have_text("That token was refused.")
    form.fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Open the console").click()

    # The charts fill in as the page polls.
    expect(page.locator("#chart-rooms .value")).not_to_have_text("…")
    expect(page.locator("#chart-frames-out svg polyline")).to_have_count(1, timeout=10_000)

    page.get_by_label("Find a room").fill(code.lower())
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#rooms-body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Stuck")
    expect(rows.first).to_contain_text("In game")
    rows.first.get_by_role("button", name=code).click()

    detail = page.locator("#detail")
    expect(detail.locator("#detail-title")).to_contain_text(f"Room {code}")
    expect(detail.locator("#detail-members li")).to_have_count(2)
    expect(detail.locator("#detail-game")).to_contain_text('"board"')
    shot(page, "admin-room")
    detail.get_by_role("button", name="End game").click()
    dialog = page.get_by_role("dialog", name="End the game?")
    dialog.get_by_role("button", name="End game").click()

    expect(detail.locator("#detail-state")).to_have_text("Finished")
    room = http_json(base_url, f"/api/rooms/{code}")["room"]
    assert room["state"] == "FINISHED" and room["last_game_id"] == game_id
    expect(page.locator("#toast")).to_have_text(f"The game in {code} was ended.")

    # The console links the game's replay; it ends where the operator ended it.
    detail.get_by_role("link", name="Replay of the last game").click()
    expect(page).to_have_url(re.compile(rf"/replay/{game_id}$"))
    expect(page.locator("#replay-pos")).to_have_text("Step 1 of 2")
    page.get_by_role("button", name="Step ▶").click()
    expect(page.locator("#replay-action")).to_have_text("An operator ended the game.")
    shot(page, "admin-replay")


def test_the_token_stays_in_the_tab(people: People) -> None:
    page = people.page(people.context())
    page.goto("/admin")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Open the console").click()
    expect(page.locator("#rooms-title")).to_be_visible()
    page.reload()
    expect(page.locator("#rooms-title")).to_be_visible()  # this tab keeps it
    other = people.page(people.context())
    other.goto("/admin")
    expect(other.get_by_label("Admin token")).to_be_visible()  # another browser does not
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Admin token")).to_be_visible()
