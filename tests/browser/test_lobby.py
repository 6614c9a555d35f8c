"""The lobby: live updates, sorting by a header click, filters and search, password rooms, the
room limit dialog, and the first-visit name prompt's validation."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Guest, People, shot


def names(page: Page, tag: str) -> list[str]:
    """The room names of the lobby rows that belong to this test (their names end with ``tag``)."""
    cells = page.locator("#rooms tbody td.name > span").all_inner_texts()
    return [c for c in cells if c.endswith(tag)]


@pytest.mark.slow
def test_sort_filter_search_and_a_password_room(people: People, base_url: str) -> None:
    tag = secrets.token_hex(2)
    hosts = [Guest(base_url, f"host{i}") for i in range(3)]
    hosts[0].call(
        "POST", "/api/rooms", {"name": f"Bravo {tag}", "game": "cabo", "config": {"max_players": 3}}
    )
    hosts[1].call("POST", "/api/rooms", {"name": f"Alpha {tag}", "game": "tictactoe"})
    hosts[2].call("POST", "/api/rooms", {"name": f"Charlie {tag}", "game": "cabo", "password": "sesame"})

    page = people.arrive("carol", "/lobby")
    expect(page.locator("#rooms tbody")).to_contain_text(f"Charlie {tag}")
    # Newest first by default.
    assert names(page, tag) == [f"Charlie {tag}", f"Alpha {tag}", f"Bravo {tag}"]

    header = page.get_by_role("columnheader", name="Name")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#rooms tbody tr").first).to_be_visible()
    page.wait_for_function(
        "tag => [...document.querySelectorAll('#rooms td.name > span')]"
        ".map(s => s.textContent).filter(t => t.endsWith(tag)).join() === "
        "['Alpha', 'Bravo', 'Charlie'].map(n => n + ' ' + tag).join()",
        arg=tag,
    )
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    page.wait_for_function(
        "tag => [...document.querySelectorAll('#rooms td.name > span')]"
        ".map(s => s.textContent).filter(t => t.endsWith(tag))[0] === 'Charlie ' + tag",
        arg=tag,
    )
    expect(page).to_have_url(re.compile(r"sort=name"))

    # Filters: the game, then a search, then password rooms only.
    page.get_by_label("Game", exact=True).select_option("tictactoe")
    expect(page.locator("#rooms tbody tr", has_text=f"Bravo {tag}")).to_have_count(0)
    expect(page.locator("#rooms tbody tr", has_text=f"Alpha {tag}")).to_have_count(1)
    page.get_by_label("Game", exact=True).select_option("")
    page.get_by_label("Search").fill(f"charlie {tag}")
    expect(page.locator("#rooms tbody tr")).to_have_count(1)
    page.get_by_label("Search").fill(tag)
    page.get_by_label("Password", exact=True).select_option("true")
    expect(page.locator("#rooms tbody tr")).to_have_count(1)
    row = page.locator("#rooms tbody tr", has_text=f"Charlie {tag}")
    expect(row.get_by_role("img", name="Password required")).to_be_visible()
    shot(page, "lobby-filtered")

    # The password prompt: a wrong one is said inline, the right one seats you.
    row.get_by_role("button", name=f"Join Charlie {tag}").click()
    prompt = page.get_by_role("dialog", name=f"Join Charlie {tag}")
    prompt.get_by_label("Password", exact=True).fill("open up")
    prompt.get_by_role("button", name="Join").click()
    expect(prompt.get_by_role("alert")).to_have_text("Wrong password for this room.")
    prompt.get_by_label("Password", exact=True).fill("sesame")
    prompt.get_by_role("button", name="Join").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    expect(page.locator("#players li")).to_have_count(2)

    # Live: a room that fills up and one that starts change in the lobby without a reload.
    watcher = people.arrive("dave", "/lobby")
    bravo = watcher.locator("#rooms tbody tr", has_text=f"Bravo {tag}")
    expect(bravo).to_contain_text("1/3")
    code = hosts[0].call("GET", "/api/rooms?q=" + f"Bravo%20{tag}")["rooms"][0]["room_code"]
    Guest(base_url, "erin").call("POST", f"/api/rooms/{code}/join")
    expect(bravo).to_contain_text("2/3")
    hosts[0].call("POST", f"/api/rooms/{code}/start")
    expect(bravo).to_contain_text("In game")
    hosts[0].call("DELETE", f"/api/rooms/{code}")
    expect(bravo).to_have_count(0)


def test_the_name_prompt_shows_the_servers_message(people: People) -> None:
    page = people.page(people.context())
    page.goto("/")
    page.get_by_role("button", name="Pick a name").click()
    dialog = page.get_by_role("dialog", name="Welcome! Pick a name")
    dialog.get_by_label("Your name").fill("<script>")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("A name is 1–24 characters")
    dialog.get_by_label("Your name").fill("frank")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator("#me")).to_have_text("frank")

    # Rename from the nav bar; the server's rule comes back as an inline error.
    page.get_by_role("button", name="Rename").click()
    rename = page.get_by_role("dialog", name="Change your name")
    rename.get_by_label("Your name").fill("frankie")
    rename.get_by_role("button", name="Save").click()
    expect(page.locator("#me")).to_have_text("frankie")
    page.reload()
    expect(page.locator("#me")).to_have_text("frankie")  # kept by the session cookie


def test_at_the_room_limit_a_dialog_offers_to_delete_one(people: People) -> None:
    page = people.arrive("gina", "/lobby")
    for i in range(5):
        created = page.request.post(
            "/api/rooms", data={"name": f"Gina {i}", "game": "tictactoe", "config": {"keep_when_empty": True}}
        )
        assert created.ok, created.text()
        left = page.request.post(f"/api/rooms/{created.json()['room_code']}/leave")
        assert left.ok, left.text()

    page.get_by_role("button", name="Create room").click()
    form = page.get_by_role("dialog", name="Create a room")
    form.get_by_role("button", name="Create room").click()
    expect(form.get_by_text("Give the room a name")).to_be_visible()
    form.get_by_label("Room name").fill("Gina 5")
    form.get_by_role("button", name="Create room").click()

    limit = page.get_by_role("dialog", name="You have too many rooms")
    expect(limit.get_by_role("listitem")).to_have_count(5)
    shot(page, "room-limit")
    limit.get_by_role("button", name="Delete Gina 0").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    expect(page.locator("#room-name")).to_have_text("Gina 5")


def test_a_room_created_elsewhere_appears_fills_and_goes_without_a_reload(
    people: People, base_url: str
) -> None:
    tag = secrets.token_hex(2)
    page = people.arrive("watcher", "/")
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto("/lobby")
    for _ in range(100):
        if any('"lobby_snapshot"' in f for f in frames):
            break
        page.wait_for_timeout(50)
    assert any('"lobby_snapshot"' in f for f in frames)
    page.wait_for_load_state("networkidle")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    host, guest = Guest(base_url, "host"), Guest(base_url, "guest")
    room = host.call("POST", "/api/rooms", {"name": f"Live {tag}", "game": "tictactoe"})
    row = page.locator("#rooms tbody tr", has_text=f"Live {tag}")
    expect(row).to_be_visible(timeout=1500)
    expect(row).to_contain_text("1/2")
    guest.call("POST", f"/api/rooms/{room['room_code']}/join")
    expect(row).to_contain_text("2/2", timeout=1500)
    host.call("DELETE", f"/api/rooms/{room['room_code']}")
    expect(row).to_have_count(0, timeout=1500)
    # All of it came over the socket: the page asked the server for nothing.
    assert not [url for url in asked if "/api/rooms" in url], asked
