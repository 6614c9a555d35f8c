"""Cross-site protection: the session cookie counts only for this server's pages (and allowed origins);
bearer tokens and requests without an Origin work from anywhere. Security headers on every response."""

from __future__ import annotations

import httpx
import pytest
import websockets
from fastapi import FastAPI
from websockets.asyncio.client import connect

from roomservice.config import Settings
from roomservice.web.app import create_app
from roomservice.web.pages import CSP
from tests.conftest import Api, Server
from tests.web.test_rooms import error

EVIL = "http://evil.example"


async def _cookie_client(api: Api, name: str) -> httpx.AsyncClient:
    client = api.client()
    assert (await client.post("/api/session", json={"username": name})).status_code == 201
    return client  # holds the session cookie, as a browser would


async def test_cookie_requests_from_another_site_are_refused(api: Api) -> None:
    browser = await _cookie_client(api, "alice")
    for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/page"}, {"Origin": "null"}):
        resp = await browser.post("/api/rooms", json={"name": "r", "game": "cabo"}, headers=headers)
        error(resp, 403, "cross_origin")
        error(
            await browser.patch("/api/session", json={"username": "x"}, headers=headers), 403, "cross_origin"
        )
        error(await browser.post("/api/session/ticket", headers=headers), 403, "cross_origin")
    # Reading is not state-changing.
    assert (await browser.get("/api/session", headers={"Origin": EVIL})).status_code == 200
    # The server's own pages, and requests naming no page at all (curl), are fine.
    own = {"Origin": "http://testserver"}
    created = await browser.post("/api/rooms", json={"name": "r", "game": "cabo"}, headers=own)
    assert created.status_code == 201, created.text
    code = created.json()["room_code"]
    assert (await browser.post(f"/api/rooms/{code}/leave")).status_code == 200
    referer = {"Referer": f"http://testserver/r/{code}"}
    assert (await browser.patch("/api/session", json={"username": "al"}, headers=referer)).status_code == 200


async def test_bearer_requests_work_from_any_origin(api: Api) -> None:
    bob = await api.user("bob")
    resp = await bob.http.post("/api/rooms", json={"name": "r", "game": "cabo"}, headers={"Origin": EVIL})
    assert resp.status_code == 201, resp.text


async def test_allowed_origins_is_a_setting(settings: Settings) -> None:
    settings.allowed_origins = "https://play.example:8443, http://friend.example"
    assert Settings.from_env({"ROOMSERVICE_ALLOWED_ORIGINS": "a"}).allowed_origins == "a"
    app = create_app(settings, background=False)
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        async with client:
            assert (await client.post("/api/session", json={"username": "c"})).status_code == 201
            for origin in ("https://play.example:8443", "HTTP://FRIEND.EXAMPLE:80"):
                resp = await client.patch("/api/session", json={"username": "d"}, headers={"Origin": origin})
                assert resp.status_code == 200, resp.text
            resp = await client.patch("/api/session", json={"username": "d"}, headers={"Origin": EVIL})
            error(resp, 403, "cross_origin")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_socket_refuses_a_cookie_from_another_site(server: Server, remote: Api) -> None:
    browser = await _cookie_client(remote, "alice")
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await connect(server.ws, origin=EVIL, additional_headers={"Cookie": cookie})  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    assert b'"cross_origin"' in refused.value.response.body
    assert refused.value.response.headers["X-Content-Type-Options"] == "nosniff"
    # The same cookie from the server's own page gets a socket.
    own = f"http://127.0.0.1:{server.port}"
    async with connect(server.ws, origin=own, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
        await ws.send('{"type": "ping"}')
        assert '"pong"' in str(await ws.recv())
    # A bearer token, or a ticket, is fine from any page.
    bob = await remote.user("bob")
    bearer = {"Authorization": f"Bearer {bob.token}"}
    async with connect(server.ws, origin=EVIL, additional_headers=bearer) as ws:  # type: ignore[arg-type]
        await ws.send('{"type": "ping"}')
        assert '"pong"' in str(await ws.recv())
    ticket = (await bob.http.post("/api/session/ticket")).json()["ticket"]
    async with connect(f"{server.ws}?ticket={ticket}", origin=EVIL) as ws:  # type: ignore[arg-type]
        await ws.send('{"type": "ping"}')
        assert '"pong"' in str(await ws.recv())


async def test_every_html_response_has_the_policy_and_every_response_nosniff(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        for path in ("/", "/lobby", "/static/home.html", "/static/lobby.html", "/static/room.html"):
            resp = await c.get(path)
            assert resp.status_code == 200, path
            assert resp.headers["content-type"].startswith("text/html"), path
            assert resp.headers["Content-Security-Policy"] == CSP, path
            assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        html = {"Accept": "text/html"}
        for path, headers in [
            ("/static/roomservice.js", {}),
            ("/static/app.css", {}),
            ("/api/games", {}),
            ("/api/session", {}),
            ("/healthz", {}),
            ("/openapi.json", {}),
            ("/nope", {}),
            ("/r/ABCDEF", html),
        ]:
            resp = await c.get(path, headers=headers)
            assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        error(await c.post("/api/session", content=b"x" * 70_000), 413, "payload_too_large")
        assert (await c.post("/api/session", content=b"x" * 70_000)).headers[
            "X-Content-Type-Options"
        ] == "nosniff"
        # The interactive docs keep what they need (their scripts come from a CDN).
        docs = await c.get("/docs")
        assert docs.status_code == 200
        assert "Content-Security-Policy" not in docs.headers
        assert docs.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_invite_link_answers_json_clients_like_the_room_endpoint(api: Api) -> None:
    alice = await api.user("alice")
    code = (await alice.create_room("r", "cabo"))["room_code"]
    invite = await alice.http.get(f"/r/{code}", headers={"Accept": "application/json"})
    room = await alice.http.get(f"/api/rooms/{code}")
    assert invite.status_code == 200
    assert invite.json() == room.json()
    assert set(invite.json()) == {"room_code", "room_id", "room", "players", "node"}
    error(await alice.http.get("/r/ZZZZZZ"), 404, "room_not_found")
