"""A first visit shows the games and the rooms without asking for anything, and without an error in the
console; the name is asked when the visitor creates a room."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from tests.browser.conftest import Guest, People, shot


def test_a_first_visit_sees_games_and_rooms_and_is_asked_a_name_on_create(
    people: People, base_url: str
) -> None:
    tag = secrets.token_hex(2)
    Guest(base_url, "host").call("POST", "/api/rooms", {"name": f"Open {tag}", "game": "tictactoe"})
    page = people.page(people.context())
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))

    page.goto("/")
    expect(page.get_by_role("heading", name="Pick a game")).to_be_visible()
    expect(page.locator("[data-game=tictactoe]")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.goto("/lobby")
    expect(page.locator("#rooms tbody")).to_contain_text(f"Open {tag}")
    expect(page.get_by_role("dialog")).to_have_count(0)
    shot(page, "lobby-first-visit")
    assert console == []
    assert not any(r.endswith("/api/session") for r in requests), requests

    page.get_by_role("button", name="Create room").click()
    welcome = page.get_by_role("dialog", name="Welcome! Pick a name")
    expect(welcome).to_be_visible()
    welcome.get_by_label("Your name").fill("newcomer")
    welcome.get_by_role("button", name="Save").click()
    form = page.get_by_role("dialog", name="Create a room")
    form.get_by_label("Room name").fill(f"First {tag}")
    form.get_by_role("button", name="Create room").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    expect(page.locator("#me")).to_have_text("newcomer")
    expect(page.locator("#players li", has_text="newcomer")).to_be_visible()
    assert console == []


def test_a_first_visitor_joining_from_the_lobby_is_asked_a_name_then_seated(
    people: People, base_url: str
) -> None:
    tag = secrets.token_hex(2)
    Guest(base_url, "host").call("POST", "/api/rooms", {"name": f"Join me {tag}", "game": "tictactoe"})
    page = people.page(people.context())
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto("/lobby")
    page.get_by_role("button", name=f"Join Join me {tag}").click()
    welcome = page.get_by_role("dialog", name="Welcome! Pick a name")
    welcome.get_by_label("Your name").fill("joiner")
    welcome.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    expect(page.locator("#players li")).to_have_count(2)
    assert console == []
