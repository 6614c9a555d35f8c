"""Cabo in two browsers with a fixed deck (dev mode): the initial peek, an exchange, all three powers
with their targets, the Cabo call, taking the discard, and the round's results and totals."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import People, api, shot

# alice gets 1 2 3 4, bob 5 6 7 8, the discard pile starts with 9; then alice draws 0, bob 7 (peek),
# alice 9 (spy), bob 11 (swap).
TOP = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 7, 9, 11]
FULL = Counter({0: 2, 13: 2, **{rank: 4 for rank in range(1, 13)}})
DECK = TOP + sorted((FULL - Counter(TOP)).elements())


def card(page: Page, owner: str, pos: int) -> object:
    return page.get_by_role("button", name=re.compile(f"^{owner} card {pos}:"))


def my_card(page: Page, pos: int, shown: str) -> None:
    expect(page.locator(f"[aria-label^='Your card {pos}:']")).to_have_attribute(
        "aria-label", re.compile(f"^Your card {pos}: {shown}")
    )


@pytest.mark.slow
def test_cabo_turns_with_powers_and_a_round_result(people: People) -> None:
    assert len(DECK) == 52
    alice = people.arrive("alice", "/lobby?game=cabo")
    alice.get_by_role("button", name="Create room").click()
    dialog = alice.get_by_role("dialog", name="Create a room")
    dialog.get_by_label("Room name").fill("Cabo night")
    expect(dialog.get_by_label("Game")).to_have_value("cabo")
    dialog.get_by_role("button", name="Create room").click()
    expect(alice).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    code = alice.url.rsplit("/", 1)[1]

    # Bob comes in by typing the code, then joins from the room's own page.
    bob = people.arrive("bob", "/lobby")
    bob.get_by_label("Room code").fill(code.lower())
    bob.get_by_role("button", name="Join by code").click()
    bob.get_by_role("button", name="Join the room").click()
    expect(bob.locator("#players li")).to_have_count(2)

    alice.get_by_role("button", name="Start with options…").click()
    options = alice.get_by_role("dialog", name="Start Cabo")
    options.get_by_label("peek_seconds").fill("600")
    options.get_by_label("deck").fill(json.dumps(DECK))
    options.get_by_role("button", name="Start").click()

    # Setup: each looks at two cards.
    for page in (alice, bob):
        expect(page.locator("#cabo-status")).to_contain_text("Choose two of your cards")
        card(page, "Your", 1).click()
        card(page, "Your", 2).click()
        page.get_by_role("button", name="Look at these two").click()
    my_card(alice, 1, "1")
    my_card(alice, 2, "2")
    my_card(bob, 2, "6")
    my_card(bob, 3, "hidden")

    # Alice draws the 0 and keeps it in place of her fourth card.
    expect(alice.locator("#cabo-status")).to_contain_text("Your turn")
    expect(bob.locator("#cabo-status")).to_contain_text("It is alice's turn")
    alice.get_by_role("button", name="Draw").click()
    expect(alice.locator("#cabo-drawn")).to_have_text("0")
    card(alice, "Your", 4).click()
    shot(alice, "cabo-drawn")
    assert "null" not in alice.locator(".cabo").inner_text()
    alice.get_by_role("button", name="Exchange for selected").click()
    my_card(alice, 4, "0")
    expect(bob.locator("#cabo-discard-top")).to_have_text("4")

    # Bob draws a 7, discards it and peeks at his fourth card.
    bob.get_by_role("button", name="Draw").click()
    bob.get_by_role("button", name="Discard it").click()
    expect(bob.locator("#cabo-status")).to_contain_text("Peek")
    card(bob, "Your", 4).click()
    bob.get_by_role("button", name="Look at it").click()
    my_card(bob, 4, "8")

    # Alice draws a 9 and spies on Bob's third card.
    alice.get_by_role("button", name="Draw").click()
    alice.get_by_role("button", name="Discard it").click()
    expect(alice.locator("#cabo-status")).to_contain_text("Spy")
    card(alice, "bob's", 3).click()
    alice.get_by_role("button", name="Spy on it").click()
    expect(alice.locator('[aria-label^="bob\'s card 3:"]')).to_have_attribute("aria-label", "bob's card 3: 7")
    expect(alice.locator("#game-log")).to_contain_text("bob's card 3 is 7.")

    # Bob draws an 11 and swaps his first card with Alice's first, unseen.
    bob.get_by_role("button", name="Draw").click()
    bob.get_by_role("button", name="Discard it").click()
    expect(bob.locator("#cabo-status")).to_contain_text("Swap")
    card(bob, "Your", 1).click()
    card(bob, "alice's", 1).click()
    shot(bob, "cabo-swap")
    bob.get_by_role("button", name="Swap them").click()
    my_card(alice, 1, "hidden")
    expect(alice.locator("#game-log")).to_contain_text("bob swapped card 1 with your card 1.")

    # Alice calls Cabo; Bob's last turn takes the 11 from the discard pile for his second card.
    alice.get_by_role("button", name="Call Cabo").click()
    expect(bob.locator("#cabo-status")).to_contain_text("Your turn")
    card(bob, "Your", 2).click()
    bob.get_by_role("button", name="Take it for the selected card").click()

    for page in (alice, bob):
        expect(page.locator("#cabo-status")).to_contain_text("the round is over")
        scores = page.locator("#cabo-scores")
        expect(
            scores.locator("tr", has_text="alice").or_(scores.locator("tr", has_text="You")).first
        ).to_be_visible()
    alice_row = alice.locator("#cabo-scores tbody tr").filter(has_text="You")
    expect(alice_row.locator("td")).to_have_text(["5 2 3 0", "10", "0", "0"])
    bob_row = alice.locator("#cabo-scores tbody tr").filter(has_text="bob")
    expect(bob_row.locator("td")).to_have_text(["1 11 7 8", "27", "27", "27"])
    expect(bob.get_by_role("button", name="Next round")).to_be_visible()
    shot(alice, "cabo-round-over")


@pytest.mark.slow
def test_the_cabo_table_counts_down_to_the_deadline(people: People) -> None:
    alice = people.arrive("alice")
    code = api(alice, "POST", "/api/rooms", {"name": "Clock", "game": "cabo"})["room_code"]
    bob = people.arrive("bob")
    api(bob, "POST", f"/api/rooms/{code}/join")
    alice.goto(f"/r/{code}")
    expect(alice.locator("#players li")).to_have_count(2)
    api(alice, "POST", f"/api/rooms/{code}/start", {"options": {"peek_seconds": 30}})
    countdown = alice.locator("#cabo-deadline")
    expect(countdown).to_have_text(re.compile(r"^ \((30|29) s left\)$"))
    first = int(re.findall(r"\d+", countdown.inner_text())[0])
    # No frame arrives while everyone is choosing: the page ticks on its own, from epoch ms.
    expect(countdown).to_have_text(f" ({first - 1} s left)", timeout=2500)
