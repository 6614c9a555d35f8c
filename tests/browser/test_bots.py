"""A person alone: the host picks a bot in the web room and plays tic-tac-toe against it to the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import People, shot


@pytest.mark.slow
def test_a_person_plays_tictactoe_against_a_bot(people: People) -> None:
    alice = people.arrive("alice", "/lobby?game=tictactoe")
    alice.get_by_role("button", name="Create room").click()
    dialog = alice.get_by_role("dialog", name="Create a room")
    dialog.get_by_label("Room name").fill("Alone")
    dialog.get_by_role("button", name="Create room").click()
    expect(alice).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    expect(alice.locator("#start")).to_be_disabled()

    # One bot takes the free seat: listed as a player, online, marked as a bot.
    alice.get_by_label("Bots").select_option("1")
    bot = alice.locator("#players li", has_text="Bot 1")
    expect(bot.locator(".badge.bot")).to_have_text("bot")
    expect(bot.locator(".dot.online")).to_have_count(1)
    expect(alice.locator("#players li")).to_have_count(2)
    shot(alice, "room-with-a-bot")

    alice.get_by_role("button", name="Start game").click()
    expect(alice.locator("#bots")).to_have_count(0)  # no bot changes during a game
    status = alice.locator("#ttt-status")
    # Alice (X) plays the first free cell each turn; the bot answers on its own.
    for _ in range(5):
        expect(status).to_have_text(re.compile("Your turn|win|draw", re.I))
        if re.search("win|draw", status.inner_text(), re.I):
            break
        cell = alice.locator(".ttt button:not([disabled])").first
        number = cell.get_attribute("data-cell")
        cell.click()
        expect(alice.locator(f"[data-cell='{number}']")).to_have_text("X")
    expect(status).to_have_text(re.compile("win|draw", re.I))
    expect(alice.get_by_role("button", name="Play again")).to_be_enabled()
    shot(alice, "tictactoe-against-a-bot")
