"""The OpenAPI schema tells the truth about errors: the server's own error body for every status a
route can answer with, 401 wherever a session is needed, and never FastAPI's ``{detail: [...]}``."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

from roomservice.config import Settings
from roomservice.web.app import create_app

SPEC: dict[str, Any] = create_app(Settings(secret_key="schema")).openapi()
OPERATIONS = [(method, path, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()]
ERROR_REF = "#/components/schemas/ErrorBody"


def _schema(op: dict[str, Any], status: str) -> dict[str, Any]:
    return op["responses"][status]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def test_the_error_body_is_the_one_the_server_sends() -> None:
    assert "HTTPValidationError" not in SPEC["components"]["schemas"]
    body = SPEC["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["error"]
    detail = SPEC["components"]["schemas"]["ErrorDetail"]
    assert detail["required"] == ["code", "message"] and detail["additionalProperties"] is True


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_error_status_has_the_error_body(method: str, path: str, op: dict[str, Any]) -> None:
    statuses = [s for s in op["responses"] if s.startswith("4") or s.startswith("5")]
    assert "422" in statuses and "413" in statuses
    for status in statuses:
        if path == "/healthz" and status == "503":
            continue  # the health body itself, saying what is down
        assert _schema(op, status) == {"$ref": ERROR_REF}, (method, path, status)


async def test_every_route_that_needs_a_session_documents_401(api: Any) -> None:
    """Each operation answers 401 without a session exactly when its schema says it can."""
    client: httpx.AsyncClient = api.client()
    for method, path, op in OPERATIONS:
        url = path.replace("{code}", "ABCDEF").replace("{game_id}", "cabo").replace("{game}", "cabo")
        url = url.replace("{ticket_id}", "t")
        response = await client.request(method.upper(), url, json={} if method != "get" else None)
        if response.status_code == 401:
            assert "401" in op["responses"], (method, path)
        assert response.status_code < 500


def _conforms(method: str, path: str, response: httpx.Response) -> None:
    """The answer's status is documented for the operation and its body fits the documented schema."""
    op = SPEC["paths"][path][method]
    status = str(response.status_code)
    assert status in op["responses"], (method, path, status, response.text[:200])
    schema = _schema(op, status)
    jsonschema_rs.validate({**schema, "components": SPEC["components"]}, response.json())


async def test_success_bodies_are_the_documented_ones(api: Any) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    _conforms("post", "/api/session", await api.client().post("/api/session", json={"username": "carol"}))
    _conforms("get", "/api/session", await alice.http.get("/api/session"))
    _conforms("patch", "/api/session", await alice.http.patch("/api/session", json={"username": "alicia"}))
    _conforms("post", "/api/session/ticket", await alice.http.post("/api/session/ticket"))
    _conforms("get", "/api/games", await alice.http.get("/api/games"))
    _conforms("get", "/api/games/{game_id}", await alice.http.get("/api/games/cabo"))
    _conforms("get", "/healthz", await alice.http.get("/healthz"))
    created = await alice.http.post("/api/rooms", json={"name": "r", "game": "tictactoe"})
    _conforms("post", "/api/rooms", created)
    code = created.json()["room_code"]
    _conforms("get", "/api/rooms", await bob.http.get("/api/rooms"))
    _conforms("get", "/api/rooms/mine", await alice.http.get("/api/rooms/mine"))
    _conforms("get", "/api/rooms/{code}", await bob.http.get(f"/api/rooms/{code}"))
    _conforms("get", "/r/{code}", await bob.http.get(f"/r/{code}"))
    _conforms("post", "/api/rooms/{code}/join", await bob.http.post(f"/api/rooms/{code}/join"))
    config = await alice.http.patch(f"/api/rooms/{code}/config", json={"allow_spectators": True})
    _conforms("patch", "/api/rooms/{code}/config", config)
    _conforms("post", "/api/rooms/{code}/start", await alice.http.post(f"/api/rooms/{code}/start"))
    _conforms("post", "/api/rooms/{code}/end", await alice.http.post(f"/api/rooms/{code}/end"))
    kicked = await alice.http.post(f"/api/rooms/{code}/kick", json={"session_id": bob.session_id})
    _conforms("post", "/api/rooms/{code}/kick", kicked)
    _conforms("post", "/api/rooms/{code}/leave", await alice.http.post(f"/api/rooms/{code}/leave"))
    other = (await bob.create_room("s", "cabo"))["room_code"]
    _conforms("delete", "/api/rooms/{code}", await bob.http.delete(f"/api/rooms/{other}"))
    ticket = await alice.http.post("/api/matchmaking/cabo/tickets")
    _conforms("post", "/api/matchmaking/{game}/tickets", ticket)
    ticket_id = ticket.json()["ticket_id"]
    _conforms(
        "get",
        "/api/matchmaking/tickets/{ticket_id}",
        await alice.http.get(f"/api/matchmaking/tickets/{ticket_id}"),
    )
    _conforms("get", "/api/matchmaking/{game}", await alice.http.get("/api/matchmaking/cabo"))
    cancelled = await alice.http.delete(f"/api/matchmaking/tickets/{ticket_id}")
    _conforms("delete", "/api/matchmaking/tickets/{ticket_id}", cancelled)
    # And errors: a missing session, a room that does not exist, a body that does not fit.
    _conforms("get", "/api/session", await api.client().get("/api/session"))
    _conforms("get", "/api/rooms/{code}", await bob.http.get("/api/rooms/ZZZZZZ"))
    _conforms("post", "/api/rooms", await bob.http.post("/api/rooms", json={"name": 5}))


async def test_account_bodies_are_the_documented_ones(api: Any) -> None:
    alice = await api.user("alice")
    signed_up = await alice.http.post("/api/accounts", json={"username": "alice", "password": "a password"})
    _conforms("post", "/api/accounts", signed_up)
    _conforms("get", "/api/session", await alice.http.get("/api/session"))
    login = await api.client().post("/api/login", json={"username": "alice", "password": "a password"})
    _conforms("post", "/api/login", login)
    _conforms("get", "/api/account", await alice.http.get("/api/account"))
    _conforms("delete", "/api/account/sessions", await alice.http.delete("/api/account/sessions"))
    wrong = await api.client().post("/api/login", json={"username": "alice", "password": "wrong one"})
    _conforms("post", "/api/login", wrong)
    _conforms("post", "/api/accounts", await alice.http.post("/api/accounts", json={}))
    guest = await api.user("bob")
    _conforms("get", "/api/account", await guest.http.get("/api/account"))
    taken = await guest.http.post("/api/accounts", json={"username": "ALICE", "password": "a password"})
    _conforms("post", "/api/accounts", taken)
    assert (await guest.http.post("/api/logout")).status_code == 204
