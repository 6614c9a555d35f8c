"""The arena in the browser: three players and a spectator each see the others move; the mover's own
prediction runs ahead without ever stepping back and settles where the server put it, the others glide
100 ms behind, and a player shot four times drops into the kill feed and ends a match played to one kill."""

from __future__ import annotations

import random
import re
from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

import roomservice.games.arena.world as world
from tests.browser.conftest import People, api, shot

#: Samples a number attribute on every animation frame (``[selector, attribute]``), to show a drawn
#: position never steps back; ``STOP`` ends the sampling and returns the samples.
SAMPLE = """([selector, name]) => {
  const el = document.querySelector(selector);
  window.__samples = [];
  const sample = () => {
    if (!window.__samples) return;
    window.__samples.push(Number(el.getAttribute(name)));
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""
STOP = "() => { const xs = window.__samples; window.__samples = null; return xs; }"


def drawn_at(page: Page, player: str) -> tuple[float, float]:
    """Where ``page`` draws ``player`` (their scoreboard row carries it)."""
    row = page.locator(f"#arena-scores tr[data-player='{player}']")
    return float(row.get_attribute("data-x") or "nan"), float(row.get_attribute("data-y") or "nan")


def predicted(page: Page) -> tuple[float, float]:
    root = page.locator(".arena")
    return float(root.get_attribute("data-me-x") or "nan"), float(root.get_attribute("data-me-y") or "nan")


def settled(watcher: Page, mover: Page, player: str) -> None:
    """Once the mover stands still, the watcher draws it exactly where it predicts itself: its
    prediction was reconciled onto the server's position (to the attributes' 1/1000)."""
    for _ in range(60):
        (mx, my), (wx, wy) = predicted(mover), drawn_at(watcher, player)
        if abs(wx - mx) < 0.0015 and abs(wy - my) < 0.0015:
            return
        watcher.wait_for_timeout(50)
    raise AssertionError(f"{player} predicted at {(mx, my)} but drawn at {(wx, wy)}")


@pytest.mark.slow
def test_three_people_play_the_arena_and_see_each_other_move(people: People) -> None:
    alice = people.arrive("alice")
    room = api(
        alice, "POST", "/api/rooms", {"name": "Arena", "game": "arena", "config": {"allow_spectators": True}}
    )
    code = room["room_code"]
    bob = people.arrive("bob")
    carol = people.arrive("carol")
    for page in (bob, carol):
        api(page, "POST", f"/api/rooms/{code}/join")
    # Dave only watches: his table draws everyone and sends nothing.
    dave = people.arrive("dave")
    api(dave, "POST", f"/api/rooms/{code}/join", {"spectator": True})
    pages = {"alice": alice, "bob": bob, "carol": carol, "dave": dave}
    ids = {name: api(page, "GET", "/api/session")["session_id"] for name, page in pages.items()}
    for page in pages.values():
        page.goto(f"/r/{code}")
        expect(page.locator("#players li")).to_have_count(3)
    api(alice, "POST", f"/api/rooms/{code}/start", {"options": {"time_limit": 30, "kill_target": 1}})

    for page in pages.values():
        expect(page.locator("#arena-canvas")).to_be_visible()
        expect(page.locator("#arena-scores tbody tr")).to_have_count(3)
        expect(page.locator("#arena-timer")).to_have_text(re.compile(r"^0:(2\d|30)$"))
    for page in (alice, bob, carol):
        expect(page.locator(".arena")).to_have_attribute("data-me-x", re.compile(r"\d"))
    expect(dave.locator("#arena-status")).to_have_text("Watching the match.")
    # Seats start on the first spawn points: alice top left, bob bottom right.
    assert predicted(alice) == (2.0, 2.0)
    assert predicted(bob) == (30.0, 22.0)
    assert drawn_at(bob, ids["alice"]) == (2.0, 2.0)

    # Alice walks right for a second: her own position moves at once and never steps back (each view
    # reconciles onto the path already drawn); bob, who sees her 100 ms in the past, sees her glide
    # right without a step back either; then both agree on where she stopped.
    alice.evaluate(SAMPLE, [".arena", "data-me-x"])
    bob.evaluate(SAMPLE, [f"#arena-scores tr[data-player='{ids['alice']}']", "data-x"])
    alice.keyboard.down("d")
    alice.wait_for_timeout(1000)
    alice.keyboard.up("d")
    alice.wait_for_timeout(300)
    for page in (alice, bob):
        xs = page.evaluate(STOP)
        assert xs[0] < 3 and xs[-1] > 4, xs
        assert all(b >= a for a, b in pairwise(xs)), xs
    x, y = predicted(alice)
    assert y == 2.0 and x > 4.0
    settled(bob, alice, ids["alice"])
    settled(carol, alice, ids["alice"])
    settled(dave, alice, ids["alice"])

    # Alice reloads the page mid-match: her new table's inputs still count, so she walks down.
    alice.reload()
    expect(alice.locator(".arena")).to_have_attribute("data-me-x", f"{x:.3f}")
    alice.keyboard.down("s")
    alice.wait_for_timeout(300)
    alice.keyboard.up("s")
    expect(alice.locator(".arena")).not_to_have_attribute("data-me-y", "2.000")
    settled(bob, alice, ids["alice"])
    x, y = predicted(alice)
    assert y > 2.5

    # Bob walks up with the arrow key; alice sees him go.
    bob.keyboard.down("ArrowUp")
    bob.wait_for_timeout(800)
    bob.keyboard.up("ArrowUp")
    bx, by = predicted(bob)
    assert bx == 30.0 and by < 20.0
    settled(alice, bob, ids["bob"])
    settled(carol, bob, ids["bob"])

    # He aims at carol (standing at her spawn point straight above him) with the mouse and holds space:
    # projectiles fly on every page, four hits take her down, and with a kill target of 1 that ends it.
    box = bob.locator("#arena-canvas").bounding_box()
    assert box is not None
    bob.mouse.move(box["x"] + box["width"] * 30 / 32, box["y"] + box["height"] * 2 / 24)
    bob.keyboard.down("Space")
    expect(alice.locator(".arena")).to_have_attribute("data-shots", re.compile(r"^[1-9]"))
    expect(bob.locator(".arena")).to_have_attribute("data-shots", re.compile(r"^[1-9]"))
    shot(bob, "arena-mid-match")
    expect(alice.locator("#arena-feed")).to_contain_text("bob eliminated carol")
    bob.keyboard.up("Space")
    expect(carol.locator("#arena-feed")).to_contain_text("bob eliminated you")
    expect(bob.locator("#arena-status")).to_have_text("You win! (kill target reached)")
    expect(alice.locator("#arena-status")).to_have_text("bob wins (kill target reached).")
    expect(dave.locator("#arena-status")).to_have_text("bob wins (kill target reached).")
    carol_row = alice.locator(f"#arena-scores tr[data-player='{ids['carol']}'] td")
    expect(carol_row).to_have_text(["3. carol", "0", "1", "–"])
    shot(alice, "arena-over")
    # Inputs in flight when the match ended were refused; that is no error to show anyone (and the
    # spectator sent none to be refused).
    alice.wait_for_timeout(300)
    for page in pages.values():
        expect(page.locator("#game-error")).to_have_text("")


def test_the_table_predicts_with_the_servers_world_and_movement_rule(people: People) -> None:
    """The page mirrors the world's numbers and walls and moves a player exactly as the rules do, wall
    sliding and rounding included: random walks with the page's own directions end on the same spots."""
    page = people.page(people.context())
    page.goto("/")
    directions: list[tuple[float, float]] = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
    directions += [(sx * 0.7071, sy * 0.7071) for sx in (1, -1) for sy in (1, -1)]
    rng = random.Random(13)
    starts = [world.SPAWNS[i % len(world.SPAWNS)] for i in range(40)]
    moves = [[rng.choice(directions) for _ in range(150)] for _ in starts]
    walks = [[list(start), [list(m) for m in walk]] for start, walk in zip(starts, moves, strict=True)]
    expected: list[list[list[float]]] = []
    for (x, y), walk in zip(starts, moves, strict=True):
        path = []
        for mx, my in walk:
            if mx or my:
                x, y = world.move(
                    x, y, mx * world.SPEED / world.TICK_RATE, my * world.SPEED / world.TICK_RATE
                )
            path.append([x, y])
        expected.append(path)
    mirrored, paths = page.evaluate(
        """async (walks) => {
          const arena = await import('/static/games/arena.js');
          const paths = walks.map(([start, moves]) => {
            let pos = start;
            return moves.map(([mx, my]) => (pos = arena.step(pos, mx, my)));
          });
          return [arena.WORLD, paths];
        }""",
        walks,
    )
    assert mirrored == {
        "TICK_RATE": world.TICK_RATE,
        "WIDTH": world.WIDTH,
        "HEIGHT": world.HEIGHT,
        "RADIUS": world.RADIUS,
        "SPEED": world.SPEED,
        "MAX_HEALTH": world.MAX_HEALTH,
        "WALLS": [list(wall) for wall in world.WALLS],
    }
    assert paths == expected
    # The walks did run into walls: some steps moved along an axis without getting anywhere on it.
    assert any(
        (mx and b[0] == a[0]) or (my and b[1] == a[1])
        for walk, path in zip(moves, expected, strict=True)
        for (mx, my), a, b in zip(walk[1:], path, path[1:], strict=True)
    )
