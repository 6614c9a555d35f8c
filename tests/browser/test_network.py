"""A dead connection is noticed within seconds: the browser going offline shows "Reconnecting…" at once
and the room carries on when the network returns; a socket gone silent is given up on by the ping
deadline."""

from __future__ import annotations

import json
import re
import socket
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


@pytest.mark.slow
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


class SilentServer:
    """A WebSocket server that accepts and then never sends a thing (nor answers pings); it keeps the
    path of every socket opened to it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.server: Server = serve(self.swallow, "127.0.0.1", 0, ping_interval=None)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"

    def swallow(self, conn: ServerConnection) -> None:
        self.paths.append(conn.request.path if conn.request else "")
        for _ in conn:
            pass


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.thread.join(5)


#: Bounds a wait inside the page, so a socket that never drops fails the test instead of hanging it.
WITHIN = """const within = (promise, ms) => Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms))]);"""

SILENT = (
    """async (baseUrl) => {
  const { Client } = await import("/static/roomservice.js");
  """
    + WITHIN
    + """
  const socket = new Client({ baseUrl }).connect({ minDelay: 60000, maxDelay: 60000 });
  const opened = await socket.once("open").then(() => performance.now());
  const drop = await within(new Promise((resolve) => socket.on("reconnecting", resolve)), 20000);
  socket.close();
  return { after: (performance.now() - opened) / 1000, reason: drop.reason, options: socket.options };
}"""
)


@pytest.mark.slow
def test_a_silent_socket_is_given_up_on_within_15_seconds(people: People, silent: SilentServer) -> None:
    page = people.page(people.context())
    page.goto("/")
    result = page.evaluate(SILENT, silent.url)
    assert result["reason"] == "no pong"
    assert result["after"] <= SILENCE_NOTICED
    # The defaults are what guarantee it: a ping every `pingEvery`, dropped after `pingTimeout`.
    assert result["options"]["pingEvery"] + result["options"]["pingTimeout"] <= SILENCE_NOTICED * 1000


TICKETS = (
    """async (baseUrl) => {
  const { Client } = await import("/static/roomservice.js");
  """
    + WITHIN
    + """
  let issued = 0;
  const client = new Client({ baseUrl, token: "long-lived", ticket: async () => `t-${++issued}` });
  const socket = client.connect({ minDelay: 50, maxDelay: 50, pingEvery: 300, pingTimeout: 300 });
  await socket.once("open");
  await within(new Promise((resolve) => socket.on("open", resolve)), 3000); // dropped as silent, then back
  socket.close();
  const sameOrigin = new Client();
  await sameOrigin.createSession("tess");
  return { issued, sameOrigin: await sameOrigin.socketUrl() };
}"""
)


def test_the_socket_url_carries_a_fresh_ticket_never_the_token(
    people: People, silent: SilentServer, base_url: str
) -> None:
    page = people.page(people.context())
    page.goto("/")
    result = page.evaluate(TICKETS, silent.url)
    # A ticket per connection, taken from the `ticket` option; the token stays in the Bearer header.
    assert silent.paths[:2] == ["/ws?ticket=t-1", "/ws?ticket=t-2"]
    assert result["issued"] >= 2
    # On the server's own origin the session cookie authenticates the socket: nothing in the URL.
    assert result["sameOrigin"] == base_url.replace("http://", "ws://") + "/ws"


CHECKS = (
    """async (baseUrl) => {
  const { Client } = await import("/static/roomservice.js");
  """
    + WITHIN
    + """
  const options = { minDelay: 50, maxDelay: 50, pingEvery: 60000, pingTimeout: 300 };
  const socket = new Client({ baseUrl }).connect(options);
  const drops = [];
  socket.on("reconnecting", (e) => drops.push(e.reason));
  await socket.once("open");
  dispatchEvent(new Event("online"));
  await within(new Promise((resolve) => socket.on("open", resolve)), 3000);
  document.dispatchEvent(new Event("visibilitychange"));
  await within(new Promise((resolve) => socket.on("open", resolve)), 3000);
  socket.close();
  return drops;
}"""
)


def test_back_online_or_back_in_view_checks_the_socket_at_once(people: People, silent: SilentServer) -> None:
    page = people.page(people.context())
    page.goto("/")
    # Pings are a minute apart here: only the check made on each event can notice the silence.
    assert page.evaluate(CHECKS, silent.url) == ["no pong", "no pong"]


HANGING = (
    """async (baseUrl) => {
  const { Client } = await import("/static/roomservice.js");
  """
    + WITHIN
    + """
  const socket = new Client({ baseUrl }).connect({ minDelay: 60000, pingEvery: 300, pingTimeout: 300 });
  const drop = await within(new Promise((resolve) => socket.on("reconnecting", resolve)), 3000);
  socket.close();
  return drop.reason;
}"""
)


def test_a_connection_attempt_that_never_opens_is_given_up_on(people: People) -> None:
    # A listening socket that never answers the handshake: the attempt would hang for minutes.
    with socket.create_server(("127.0.0.1", 0)) as server:
        page = people.page(people.context())
        page.goto("/")
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        assert page.evaluate(HANGING, url) == "open timeout"
