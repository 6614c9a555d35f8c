"""A finished game of tic-tac-toe watched again: the room links to its replay, and the replay page steps,
plays and seeks through it with the game's own table."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Guest, People, api, shot
from tests.browser.test_play import play


@pytest.mark.slow
def test_a_finished_game_is_replayed_step_by_step(people: People) -> None:
    alice = people.arrive("alice")
    code = api(alice, "POST", "/api/rooms", {"name": "Replayed", "game": "tictactoe"})["room_code"]
    bob = people.arrive("bob")
    api(bob, "POST", f"/api/rooms/{code}/join")
    for page in (alice, bob):
        page.goto(f"/r/{code}")
        expect(page.locator("#players li")).to_have_count(2)
    expect(alice.locator("#watch-replay")).to_have_count(0)  # no game yet

    alice.get_by_role("button", name="Start game").click()
    for page, cell in ((alice, 0), (bob, 3), (alice, 1), (bob, 4), (alice, 2)):
        play(page, cell)
    expect(alice.locator("#ttt-status")).to_have_text("You win! (X)")

    link = bob.get_by_role("link", name="Watch the replay")
    expect(link).to_be_visible()
    link.click()
    expect(bob).to_have_url(re.compile(r"/replay/[0-9a-f-]{36}$"))
    cells = bob.locator(".ttt button")
    expect(bob.locator("#replay-pos")).to_have_text("Step 1 of 6")
    expect(bob.locator("#replay-action")).to_have_text("The deal.")
    expect(cells.filter(has_text=re.compile("[XO]"))).to_have_count(0)
    expect(bob.locator(".ttt button:enabled")).to_have_count(0)  # a replay takes no moves

    bob.get_by_role("button", name="Step ▶").click()
    expect(bob.locator("#replay-pos")).to_have_text("Step 2 of 6")
    expect(bob.locator("#replay-action")).to_have_text('alice: {"cell":0}')
    expect(cells.nth(0)).to_have_text("X")
    bob.get_by_role("button", name="Step ▶").click()
    expect(cells.nth(3)).to_have_text("O")
    bob.get_by_role("button", name="◀ Step").click()
    expect(bob.locator("#replay-pos")).to_have_text("Step 2 of 6")
    expect(cells.nth(3)).to_have_text("")

    # Play at four times the speed: it runs to the end by itself and stops there.
    bob.get_by_label("Speed").select_option("4")
    bob.get_by_role("button", name="Play").click()
    expect(bob.locator("#replay-pos")).to_have_text("Step 6 of 6")
    expect(bob.locator("#ttt-status")).to_have_text("alice wins (X).")
    expect(bob.locator(".ttt button.win")).to_have_count(3)
    expect(bob.get_by_role("button", name="Play")).to_be_visible()
    shot(bob, "replay-tictactoe")

    # Pause stops it where it is.
    bob.get_by_role("button", name="Play").click()  # from the end: starts again at the deal
    bob.get_by_role("button", name="Pause").click()
    at = bob.locator("#replay-pos").text_content()
    bob.wait_for_timeout(700)
    expect(bob.locator("#replay-pos")).to_have_text(at or "")


def test_a_replay_that_does_not_exist(people: People) -> None:
    page = people.page(people.context())
    page.goto("/replay/nothing-here")
    expect(page.locator("#replay-missing")).to_have_text(
        "There is no replay of this game that you may watch."
    )


@pytest.mark.parametrize("game", ["cabo", "arena"])
def test_every_table_plays_a_replay(people: People, base_url: str, game: str) -> None:
    """A game the host ended at once: its table mounts for a spectator with no session and steps on."""
    host = Guest(base_url, "host")
    code = host.call("POST", "/api/rooms", {"name": f"Ended {game}", "game": game})["room_code"]
    for name in ("guest", "third")[: 2 if game == "arena" else 1]:
        Guest(base_url, name).call("POST", f"/api/rooms/{code}/join")
    host.call("POST", f"/api/rooms/{code}/start")
    room = host.call("POST", f"/api/rooms/{code}/end")["room"]
    assert room["state"] == "FINISHED"

    page = people.page(people.context())
    page.goto(f"/replay/{room['last_game_id']}")
    expect(page.locator("#replay-action")).to_have_text("The deal.")
    expect(page.locator("#game")).not_to_be_empty()
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#replay-action")).to_have_text("The host ended the game.")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    shot(page, f"replay-{game}")
