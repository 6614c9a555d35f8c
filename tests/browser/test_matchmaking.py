"""Quick match from a game's lobby page, and the leaderboard page, in the real browser."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from tests.browser.conftest import People, api, shot


def test_quick_match_can_be_cancelled(people: People) -> None:
    page = people.arrive(f"solo{secrets.token_hex(2)}", "/lobby?game=cabo")
    page.get_by_role("button", name="Quick match").click()
    status = page.locator("#quick-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("Searching")
    expect(page.locator("#quick-found")).to_have_text(re.compile(r"1 player searching"))
    page.wait_for_function("() => document.querySelector('#quick-elapsed').textContent !== '0:00'")
    shot(page, "quick-match-searching")
    page.get_by_role("button", name="Cancel").click()
    expect(status).to_be_hidden()
    expect(page.get_by_role("button", name="Quick match")).to_be_visible()
    stats = api(page, "GET", "/api/matchmaking/cabo")
    assert stats["searching"] == 0


def test_two_people_quick_match_into_one_room_and_the_leaderboard_shows_the_result(people: People) -> None:
    tag = secrets.token_hex(2)
    ann = people.arrive(f"ann{tag}", "/lobby?game=tictactoe")
    bob = people.arrive(f"bob{tag}", "/lobby?game=tictactoe")
    ann.get_by_role("button", name="Quick match").click()
    expect(ann.locator("#quick-status")).to_be_visible()
    bob.get_by_role("button", name="Quick match").click()
    room_url = re.compile(r"/r/[A-Z0-9]{6}$")
    expect(ann).to_have_url(room_url)
    expect(bob).to_have_url(room_url)
    assert ann.url == bob.url
    code = ann.url.rsplit("/", 1)[1]
    room = api(ann, "GET", f"/api/rooms/{code}")["room"]
    assert sorted(p["username"] for p in room["players"]) == sorted([f"ann{tag}", f"bob{tag}"])
    assert room["name"] == f"Match {code}"
    assert room["state"] == "IN_GAME"  # full: it started by itself
    shot(ann, "quick-match-room")

    # Bob leaves, so ann wins by forfeit.
    api(bob, "POST", f"/api/rooms/{code}/leave")

    ann.goto("/lobby?game=tictactoe")
    ann.get_by_role("link", name="Leaderboard").click()
    expect(ann).to_have_url(re.compile(r"/leaderboard\?game=tictactoe$"))
    expect(ann.locator("#board-title")).to_have_text("Tic-tac-toe leaderboard")
    mine = ann.locator("#board tbody tr", has_text=f"ann{tag}")
    expect(mine).to_have_count(1)
    expect(mine.locator("td")).to_have_text(["1", re.compile(f"ann{tag}"), "1", "1", "1"])
    theirs = ann.locator("#board tbody tr", has_text=f"bob{tag}")
    expect(theirs.locator("td")).to_have_text([re.compile(r"\d+"), f"bob{tag}", "0", "1", "0"])
    ann.get_by_role("button", name="Find me").click()
    expect(mine).to_have_class(re.compile("me"))
    shot(ann, "leaderboard")

    # Home links every game's leaderboard.
    ann.goto("/")
    ann.locator("#leaderboards").get_by_role("link", name="Cabo").click()
    expect(ann.locator("#board-title")).to_have_text("Cabo leaderboard")
    expect(ann.locator("#board tbody")).to_contain_text("No finished games yet.")
