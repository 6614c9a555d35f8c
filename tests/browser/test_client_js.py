"""The JS client module on its own, in the browser: typed events, the room model, and a dropped socket
that reconnects, resumes, and delivers what it missed exactly once."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.browser.conftest import Guest, People

SETUP = """async () => {
  const { Client } = await import("/static/roomservice.js");
  const client = new Client();
  await client.getSession();
  const socket = client.connect({ minDelay: 800, maxDelay: 800 });
  const seen = { chats: [], life: [] };
  window.probe = { socket, seen };
  socket.on("chat", (f) => seen.chats.push(f.text + (f.replayed ? " (replayed)" : "")));
  socket.on("reconnecting", () => seen.life.push("reconnecting"));
  socket.on("open", (e) => seen.life.push(e.reconnected ? "reconnected" : "open"));
  const state = await socket.once("room_state");
  return state.room.players.map((p) => p.username);
}"""


def test_reconnect_and_resume_deliver_missed_frames_once(people: People, base_url: str) -> None:
    page = people.arrive("hal", "/lobby")
    created = page.request.post("/api/rooms", data={"name": "Probe", "game": "cabo"})
    assert created.ok, created.text()
    code = created.json()["room_code"]
    ivy = Guest(base_url, "ivy")
    ivy.call("POST", f"/api/rooms/{code}/join")

    assert page.evaluate(SETUP) == ["hal", "ivy"]
    ws_url = base_url.replace("http://", "ws://") + "/ws"
    with connect(ws_url, additional_headers={"Authorization": f"Bearer {ivy.token}"}) as sock:

        def say(text: str) -> None:
            sock.send(json.dumps({"type": "chat", "text": text}))

        say("one")
        page.wait_for_function("() => probe.seen.chats.length === 1")
        # Cut hal's socket the way a network does (not a clean client close), then talk meanwhile.
        page.evaluate("() => probe.socket._ws.close(4000, 'test cut')")
        page.wait_for_function("() => probe.socket.state === 'reconnecting'")
        say("two")
        say("three")
        page.wait_for_function("() => probe.seen.life.includes('reconnected')")
        say("four")
        page.wait_for_function("() => probe.seen.chats.length >= 4")

    seen: dict[str, Any] = page.evaluate("() => probe.seen")
    assert seen["life"] == ["open", "reconnecting", "reconnected"]
    # Missed frames come back (flagged: the fresh room_state already held them), nothing twice.
    assert seen["chats"] == ["one", "two (replayed)", "three (replayed)", "four"]
    assert page.evaluate("() => probe.socket.messages.map((m) => m.text)") == ["one", "two", "three", "four"]
    expect(page.locator("#rooms")).to_be_visible()
