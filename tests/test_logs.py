"""The log of a real ``roomservice serve`` process: JSON or text lines for the server's own records and
uvicorn's access log alike, each naming the room (and session) it is about, and never a token."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from roomservice.logs import JsonFormatter, TextFormatter, logging_config, redact
from tests.test_cli import Serve, _env, started

__all__ = ["started"]  # the fixture, shared with the CLI's tests

TOKEN = "admin-token-0123456789abcdef"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _records(log: Path) -> list[dict[str, Any]]:
    """Every line of the log as JSON: a line that is not is a failure."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def _wait_for(log: Path, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{log.read_text()}"
        time.sleep(0.05)


def _session(http: httpx.Client, name: str) -> dict[str, Any]:
    response = http.post("/api/session", json={"username": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.slow
@SQLITE
def test_json_lines_name_rooms_and_sessions_and_hold_no_token(
    database_url: str, tmp_path: Path, started: list[Serve]
) -> None:
    env = _env(
        database_url,
        tmp_path,
        ROOMSERVICE_LOG_FORMAT="json",
        ROOMSERVICE_ADMIN_TOKEN=TOKEN,
        # A room after its game expires a second after its last activity; expiry looks often.
        ROOMSERVICE_GAME_TIMEOUT="1",
        ROOMSERVICE_EXPIRY_INTERVAL="0.3",
    )
    server = Serve(env, tmp_path / "serve.log")
    started.append(server)
    server.wait_healthy()
    with httpx.Client(base_url=server.url) as http:
        alice, bob = _session(http, "alice"), _session(http, "bob")
        as_alice = {"Authorization": f"Bearer {alice['token']}"}
        created = http.post(
            "/api/rooms", json={"name": "r", "game": "tictactoe", "config": {"bots": 1}}, headers=as_alice
        )
        code = created.json()["room_code"]
        assert http.post(f"/api/rooms/{code}/start", headers=as_alice).status_code == 200
        ended = http.post(f"/api/admin/rooms/{code}/end", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ended.status_code == 200, ended.text
        ticket = http.post("/api/session/ticket", headers={"Authorization": f"Bearer {bob['token']}"}).json()
    ws = server.url.replace("http", "ws") + "/ws"
    with connect(f"{ws}?ticket={ticket['ticket']}") as sock:
        sock.send(json.dumps({"type": "resume", "room_code": "NOPE00", "last_seq": 3}))
        while json.loads(sock.recv(5))["type"] != "error":
            pass
    with connect(f"{ws}?token={bob['token']}") as sock:
        sock.send('{"type": "ping"}')
        sock.recv(5)
    _wait_for(server.log, f"room {code}: expired")
    server.stop()

    records = _records(server.log)
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record), record
    text = server.log.read_text()
    for secret in (alice["token"], bob["token"], ticket["ticket"], TOKEN):
        assert secret not in text

    def about(logger: str, words: str) -> list[dict[str, Any]]:
        return [r for r in records if r["logger"] == logger and words in r["message"]]

    [admin] = about("roomservice.admin", "ended the game")
    assert admin["room"] == code and admin["level"] == "INFO" and admin["client"] == "127.0.0.1"
    [expired] = about("roomservice.rooms.service", "expired after")
    assert expired["room"] == code and expired["message"].startswith(f"room {code}: expired")
    [refused] = about("roomservice.realtime.dispatch", "resume refused")
    assert refused["room"] == "NOPE00" and refused["session"] == bob["session_id"]
    # The access log is JSON too, with its fields; the socket's query strings are redacted.
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert any(r["method"] == "POST" and r["path"] == "/api/session" and r["status"] == 201 for r in access)
    accepted = " ".join(r["message"] for r in records if r["logger"].startswith("uvicorn"))
    assert "/ws?ticket=[redacted]" in accepted and "/ws?token=[redacted]" in accepted


@pytest.mark.slow
@SQLITE
def test_text_lines_of_a_restart_name_the_restored_rooms(
    database_url: str, tmp_path: Path, started: list[Serve]
) -> None:
    env = _env(database_url, tmp_path)
    first = Serve(env, tmp_path / "first.log")
    started.append(first)
    first.wait_healthy()
    with httpx.Client(base_url=first.url) as http:
        alice = _session(http, "alice")
        headers = {"Authorization": f"Bearer {alice['token']}"}
        created = http.post(
            "/api/rooms", json={"name": "r", "game": "tictactoe", "config": {"bots": 1}}, headers=headers
        )
        code = created.json()["room_code"]
        game_id = http.post(f"/api/rooms/{code}/start", headers=headers).json()["room"]["last_game_id"]
    first.stop()

    second = Serve(env, tmp_path / "second.log")
    started.append(second)
    second.wait_healthy()
    second.stop()
    lines = second.log.read_text().splitlines()
    assert any(
        f"INFO roomservice.engine.engine: room {code}: game {game_id} restored at step 0" in line
        for line in lines
    ), lines
    assert any(f"room {code}: restored, 1 seat(s) kept 60 s" in line for line in lines), lines
    assert any("INFO uvicorn.access:" in line and '"GET /healthz HTTP/1.1" 200' in line for line in lines), (
        lines
    )

    # At warning level the same start says nothing of the kind.
    quiet = Serve({**env, "ROOMSERVICE_LOG_LEVEL": "warning"}, tmp_path / "quiet.log")
    started.append(quiet)
    quiet.wait_healthy()
    quiet.stop()
    assert " INFO " not in quiet.log.read_text()


def test_formatters_redact_and_carry_extras() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("1.2.3.4:5", "GET", "/ws?token=abc.def&x=1", "1.1", 101)
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["path"] == "/ws?token=[redacted]&x=1" and line["status"] == 101 and line["client"] == "1.2.3.4:5"
    )
    assert "abc.def" not in json.dumps(line)
    plain = logging.LogRecord(
        "roomservice.x", logging.WARNING, __file__, 1, "room %s: %s", ("AB12CD", "?ticket=t"), None
    )
    plain.room = "AB12CD"
    assert TextFormatter().format(plain).endswith("WARNING roomservice.x: room AB12CD: ?ticket=[redacted]")
    assert json.loads(JsonFormatter().format(plain))["room"] == "AB12CD"
    assert redact('{"path": "/ws?token=a\\"b"}') == '{"path": "/ws?token=[redacted]\\"b"}'
    config = logging_config("debug", "json")
    assert config["loggers"]["roomservice"]["level"] == "DEBUG" and config["root"]["level"] == logging.WARNING
