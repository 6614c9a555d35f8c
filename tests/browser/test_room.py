"""The room page beyond playing: invite links to private rooms, the second-tab message, kicking, closing
the room, and the invite link serving JSON to API clients."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import People, http_json, shot


def create_room(page: Page, name: str, *, private: bool = False) -> str:
    page.goto("/lobby")
    page.get_by_role("button", name="Create room").click()
    dialog = page.get_by_role("dialog", name="Create a room")
    dialog.get_by_label("Room name").fill(name)
    dialog.get_by_label("Game").select_option("cabo")
    if private:
        dialog.get_by_label("Private").check()
    dialog.get_by_role("button", name="Create room").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Z0-9]{6}$"))
    return page.url.rsplit("/", 1)[1]


@pytest.mark.slow
def test_private_room_by_invite_then_second_tab_kick_and_close(people: People, base_url: str) -> None:
    alice = people.arrive("alice")
    code = create_room(alice, "Secret den", private=True)
    expect(alice.locator("#invite-note")).to_contain_text("private")
    expect(alice.get_by_label("Invite link")).to_have_value(f"{base_url}/r/{code}")
    assert all(r["room_code"] != code for r in http_json(base_url, "/api/rooms?limit=100")["rooms"])

    # The invite link opens the room's page; joining takes one click.
    bob = people.arrive("bob", f"/r/{code}", width=375, height=740)
    expect(bob.get_by_role("heading", name="Secret den")).to_be_visible()
    bob.get_by_role("button", name="Join the room").click()
    expect(bob.locator("#players li")).to_have_count(2)
    expect(alice.locator("#players li", has_text="bob")).to_be_visible()
    shot(bob, "room-375")

    # The same session in a second tab: the first one says so plainly, and can take the room back.
    second = people.page(bob.context)
    second.goto(f"/r/{code}")
    expect(second.locator("#players li")).to_have_count(2)
    expect(bob.get_by_role("heading", name="Session already running")).to_be_visible()
    shot(bob, "second-tab")
    bob.get_by_role("button", name="Use this tab instead").click()
    expect(second.get_by_role("heading", name="Session already running")).to_be_visible()
    expect(bob.locator("#players li")).to_have_count(2)
    second.close()

    # Bob goes offline and comes back: Alice sees both.
    bob.goto("/lobby")
    expect(alice.locator("#players li", has_text="bob")).to_contain_text("offline")
    expect(bob.locator("#rejoin")).to_contain_text(code)
    bob.get_by_role("link", name="Back to your seat").click()
    expect(alice.locator("#players li", has_text="bob").locator(".dot.online")).to_have_count(1)

    # Kicked: Bob is told, with the way back to the lobby.
    alice.get_by_role("button", name="Kick bob").click()
    alice.get_by_role("dialog", name="Kick a player").get_by_role("button", name="Kick").click()
    expect(bob.get_by_role("heading", name="You were removed from the room")).to_be_visible()
    expect(bob.get_by_role("link", name="Back to lobby").last).to_be_visible()
    expect(alice.locator("#players li")).to_have_count(1)

    # Closing the room tells whoever is in it.
    alice.get_by_role("button", name="Configure").click()
    alice.get_by_role("dialog", name="Configure the room").get_by_role("button", name="Close room").click()
    alice.get_by_role("dialog", name="Close the room").get_by_role("button", name="Close room").click()
    expect(alice.get_by_role("heading", name="This room has closed")).to_be_visible()
    shot(alice, "room-closed")

    alice.goto(f"/r/{code}")
    expect(alice.get_by_role("heading", name="Room not found")).to_be_visible()


def test_invite_link_is_a_page_for_browsers_and_json_for_clients(base_url: str) -> None:
    page = urllib.request.Request(f"{base_url}/r/ABCDEF", headers={"Accept": "text/html"})
    with urllib.request.urlopen(page, timeout=5) as response:
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert b'src="/static/pages/room.js"' in response.read()
    api = urllib.request.Request(f"{base_url}/r/ABCDEF", headers={"Accept": "application/json"})
    try:
        urllib.request.urlopen(api, timeout=5)
    except urllib.error.HTTPError as err:
        assert err.code == 404
        assert b"room_not_found" in err.read()
    else:
        raise AssertionError("expected 404")


#: Keeps every WebSocket the page opens reachable from the test, so the test can cut one.
SOCKET_TAP = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();
"""


def test_reconnecting_banner_while_the_connection_is_down(people: People) -> None:
    alice = people.arrive("alice")
    create_room(alice, "Flaky wifi")
    alice.context.add_init_script(SOCKET_TAP)
    alice.reload()
    expect(alice.locator("#players li")).to_have_count(1)
    expect(alice.locator("#banner")).to_be_hidden()
    # The connection drops under the page (not a close the page asked for).
    alice.evaluate("window.__sockets.forEach((s) => s.close(4000, 'cut'))")
    expect(alice.locator("#banner")).to_contain_text("Reconnecting")
    shot(alice, "reconnecting")
    expect(alice.locator("#banner")).to_be_hidden(timeout=15_000)
    alice.get_by_role("textbox", name="Message").fill("back again")
    alice.get_by_role("button", name="Send").click()
    expect(alice.locator("#chat-log")).to_contain_text("back again")
