"""A dead connection is noticed within seconds: the browser going offline shows "Reconnecting…" at once
and the room carries on when the network returns; a socket gone silent is given up on by the ping
deadline."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve

from tests.browser.conftest import Guest, People, api

#: The issue's bounds, in seconds.
OFFLINE_NOTICED = 5
SILENCE_NOTICED = 15


def test_offline_for_8_seconds_then_the_room_carries_on(people: People, base_url: str) -> None:
    alice = people.arrive("alice", "/lobby")
    sockets: list[str] = []
    alice.on("websocket", lambda ws: sockets.append(ws.url))
    code = api(alice, "POST", "/api/rooms", {"name": "Flaky wifi", "game": "cabo"})["room_code"]
    ivy = Guest(base_url, "ivy")
    ivy.call("POST", f"/api/rooms/{code}/join")
    alice.goto(f"/r/{code}")
    expect(alice.locator("#players li")).to_have_count(2)
    banner = alice.locator("#banner")
    chat = alice.locator("#chat-log li .text")

    ws_url = base_url.replace("http://", "ws://") + "/ws"
    with connect(ws_url, additional_headers={"Authorization": f"Bearer {ivy.token}"}) as sock:

        def say(text: str) -> None:
            sock.send(json.dumps({"type": "chat", "text": text}))

        say("one")
        expect(chat).to_have_text(["one"])

        alice.context.set_offline(True)
        cut = time.monotonic()
        expect(banner).to_have_text(re.compile("Reconnecting…"), timeout=OFFLINE_NOTICED * 1000)
        assert time.monotonic() - cut < OFFLINE_NOTICED
        say("two")
        say("three")
        time.sleep(max(0.0, 8 - (time.monotonic() - cut)))
        expect(banner).to_be_visible()  # still cut off: nothing claims to be back
        alice.context.set_offline(False)

        expect(banner).to_be_hidden()
        say("four")
        # What was said meanwhile arrives once, in order, and the room is live again.
        expect(chat).to_have_text(["one", "two", "three", "four"])
    expect(alice.locator("#players li", has_text="alice").locator(".dot.online")).to_have_count(1)
    # The page's socket never carries a token in its URL (it has the session cookie).
    assert len(sockets) >= 2
    assert not any("token" in url for url in sockets), sockets


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A WebSocket server that accepts and then never sends a thing (nor answers pings)."""

    def swallow(conn: ServerConnection) -> None:
        for _ in conn:
            pass

    server: Server = serve(swallow, "127.0.0.1", 0, ping_interval=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    server.shutdown()
    thread.join(5)


SILENT = """async (baseUrl) => {
  const { Client } = await import("/static/roomservice.js");
  const socket = new Client({ baseUrl }).connect({ minDelay: 60000, maxDelay: 60000 });
  const opened = await socket.once("open").then(() => performance.now());
  const drop = await new Promise((resolve) => socket.on("reconnecting", resolve));
  socket.close();
  return { after: (performance.now() - opened) / 1000, reason: drop.reason, options: socket.options };
}"""


def test_a_silent_socket_is_given_up_on_within_15_seconds(people: People, silent_server: str) -> None:
    page = people.page(people.context())
    page.goto("/")
    result = page.evaluate(SILENT, silent_server)
    assert result["reason"] == "no pong"
    assert result["after"] <= SILENCE_NOTICED
    # The defaults are what guarantee it: a ping every `pingEvery`, dropped after `pingTimeout`.
    assert result["options"]["pingEvery"] + result["options"]["pingTimeout"] <= SILENCE_NOTICED * 1000
