"""Two people, two browsers: from the home page to a finished game of tic-tac-toe and back to the lobby."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import People, api, shot


def play(page: Page, cell: int) -> None:
    button = page.locator(f"[data-cell='{cell}']")
    expect(button).to_be_enabled()
    button.click()


@pytest.mark.slow
def test_two_people_play_tictactoe_from_home_to_lobby(people: People) -> None:
    alice = people.arrive("alice")
    shot(alice, "home")
    expect(alice.get_by_role("link", name=re.compile("All games"))).to_be_visible()
    alice.get_by_role("link", name=re.compile("^Tic-tac-toe")).click()
    expect(alice.get_by_role("heading", name="Tic-tac-toe lobby")).to_be_visible()

    # Bob is already looking at the lobby: Alice's room appears there without a reload.
    bob = people.arrive("bob", "/lobby", width=375, height=740)
    expect(bob.locator("#rooms tbody")).not_to_contain_text("Alice's table")

    alice.get_by_role("button", name="Create room").click()
    dialog = alice.get_by_role("dialog", name="Create a room")
    dialog.get_by_label("Room name").fill("Alice's table")
    shot(alice, "create-room")
    dialog.get_by_role("button", name="Create room").click()
    expect(alice).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    code = alice.url.rsplit("/", 1)[1]
    expect(alice.locator("#room-name")).to_have_text("Alice's table")
    expect(alice.locator("#players li")).to_have_count(1)
    expect(alice.locator("#players li").first).to_contain_text("host")

    row = bob.locator(f"tr[data-room='{code}']")
    expect(row).to_contain_text("1/2")
    shot(bob, "lobby-375")
    row.get_by_role("button", name="Join Alice's table").click()
    expect(bob).to_have_url(re.compile(f"/r/{code}$"))

    # Both see both, online; Alice hosts.
    for page in (alice, bob):
        expect(page.locator("#players li")).to_have_count(2)
        expect(page.locator("#players li", has_text="bob").locator(".dot.online")).to_have_count(1)

    # Chat both ways, markup shown as typed.
    alice.get_by_role("textbox", name="Message").fill("hi <b>bob</b>")
    alice.get_by_role("textbox", name="Message").press("Enter")
    expect(bob.locator("#chat-log li").last).to_have_text("alice:hi <b>bob</b>")
    bob.get_by_role("textbox", name="Message").fill("hello alice")
    bob.get_by_role("button", name="Send").click()
    expect(alice.locator("#chat-log li", has_text="hello alice")).to_have_count(1)
    expect(bob.locator("#chat-log b")).to_have_count(0)

    # Only the host can start; X (alice) wins on the top row.
    expect(bob.locator("#start")).to_have_count(0)
    alice.get_by_role("button", name="Start game").click()
    expect(alice.locator("#ttt-status")).to_have_text("Your turn: you are X.")
    expect(bob.locator("#ttt-status")).to_contain_text("Waiting for alice (X)")
    for page, cell in ((alice, 0), (bob, 3), (alice, 1), (bob, 4)):
        play(page, cell)
    shot(bob, "tictactoe-375")
    play(alice, 2)
    expect(alice.locator("#ttt-status")).to_have_text("You win! (X)")
    expect(bob.locator("#ttt-status")).to_have_text("alice wins (X).")
    expect(bob.locator(".ttt button.win")).to_have_count(3)
    expect(alice.get_by_role("button", name="Play again")).to_be_enabled()
    expect(bob.locator("#room-state")).to_have_text("Finished")
    shot(alice, "tictactoe-over")

    # Back to the lobby from the nav bar: the seat is kept and offered back.
    bob.get_by_role("link", name="Back to lobby").click()
    expect(bob.locator("#rejoin")).to_contain_text(code)
    bob.get_by_role("link", name="Back to your seat").click()
    expect(bob).to_have_url(re.compile(f"/r/{code}$"))
    expect(bob.locator("#ttt-status")).to_have_text("alice wins (X).")
    bob.get_by_role("button", name="Leave room").click()
    expect(bob).to_have_url(re.compile("/lobby$"))
    expect(alice.locator("#players li")).to_have_count(1)
    expect(alice.locator("#chat-log")).to_contain_text("bob left.")


@pytest.mark.slow
def test_the_host_ends_a_game_and_a_kicked_player_forfeits(people: People) -> None:
    alice = people.arrive("alice")
    code = api(alice, "POST", "/api/rooms", {"name": "Ends", "game": "tictactoe"})["room_code"]
    bob = people.arrive("bob")
    api(bob, "POST", f"/api/rooms/{code}/join")
    for page in (alice, bob):
        page.goto(f"/r/{code}")
        expect(page.locator("#players li")).to_have_count(2)

    # While a game runs the host, and only the host, has an "End game" control.
    alice.get_by_role("button", name="Start game").click()
    expect(alice.locator("#ttt-status")).to_have_text("Your turn: you are X.")
    expect(bob.locator("#end-game")).to_have_count(0)
    play(alice, 4)
    expect(alice.locator("#game-log")).to_contain_text("You put X in cell 5.")
    alice.get_by_role("button", name="End game").click()
    alice.get_by_role("dialog", name="End the game").get_by_role("button", name="End game").click()
    for page in (alice, bob):
        expect(page.locator("#ttt-status")).to_have_text("The host ended the game.")
        expect(page.locator("#room-state")).to_have_text("Finished")
        expect(page.locator(".ttt button:enabled")).to_have_count(0)
    expect(bob.locator("#game-log")).to_contain_text("The host ended the game.")
    shot(alice, "tictactoe-ended")

    # Play again: a fresh board and a fresh log.
    alice.get_by_role("button", name="Play again").click()
    expect(alice.locator("#ttt-status")).to_have_text("Your turn: you are X.")
    expect(alice.locator("#game-log li")).to_have_count(0)
    expect(alice.locator("#end-game")).to_be_visible()

    # Kicking bob mid-game ends it by forfeit instead of leaving the room stuck.
    alice.get_by_role("button", name="Kick bob").click()
    alice.get_by_role("dialog", name="Kick a player").get_by_role("button", name="Kick").click()
    expect(alice.locator("#ttt-status")).to_have_text("bob was removed by the host: you win!")
    expect(alice.locator("#room-state")).to_have_text("Finished")
    expect(alice.get_by_role("button", name="Play again")).to_be_visible()
