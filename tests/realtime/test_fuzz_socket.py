"""Nasty frames over a real socket: each gets an ``error`` frame (or, for a valid one, its answer), the socket
stays open and answers ``ping``, and nothing is logged as an exception.

``ROOMSERVICE_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/realtime/test_fuzz_socket.py -k sqlite`` runs longer.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomservice.config import Settings
from roomservice.protocol.frames import MAX_DEPTH
from tests.conftest import Api, Server
from tests.protocol.strategies import EXAMPLES, anything, damaged, dump
from tests.realtime.wsclient import Sock

#: What a nasty frame may get back, besides the pong of the ping after it (a valid
#: ``lobby_subscribe`` among the random frames gets the lobby, and its changes after).
ANSWERS = {
    "error",
    "chat",
    "pong",
    "lobby_snapshot",
    "lobby_room_added",
    "lobby_room_updated",
    "lobby_room_removed",
}
CODES = {"invalid_json", "invalid_frame", "unknown_type", "invalid_chat", "not_in_room", "game_not_started"}
#: What the workshop answers a session without an account (the probe has none), whatever the frame.
CODES |= {"account_required", "not_in_project"}


@pytest.fixture
def server_settings(settings: Settings) -> Settings:
    settings.port = 0
    settings.ws_heartbeat = 0.5
    settings.ws_rate_limit = 0  # the fuzz sends as fast as it can
    return settings


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Every record logged meanwhile, uvicorn's own ("Exception in ASGI application") included."""
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(caplog.handler)
    yield caplog.records
    uvicorn.removeHandler(caplog.handler)


def _no_exception_logged(records: list[logging.LogRecord]) -> None:
    bad = [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


class Probe:
    """One socket seated in a room; ``send`` a frame, then read up to the pong of a ping sent after it."""

    def __init__(self, sock: Sock) -> None:
        self.sock = sock
        self.refs = itertools.count()

    async def send(self, frame: str | bytes) -> list[dict[str, Any]]:
        ref = f"probe-{next(self.refs)}"
        if isinstance(frame, bytes):
            await self.sock.ws.send(frame)
        else:
            await self.sock.send(frame)
        await self.sock.send({"type": "ping", "ref": ref})
        answers = []
        while True:
            got = await self.sock.next()
            if got == {"type": "pong", "ref": ref}:
                return answers
            assert got["type"] in ANSWERS, (frame, got)
            if got["type"] == "error":
                assert got["code"] in CODES, (frame, got)
            answers.append(got)


async def _probe(server: Server, remote: Api) -> Probe:
    user = await remote.user("fuzz")
    await user.create_room("fuzz", "cabo")
    sock = await Sock.open(server, user)
    await sock.expect("room_state")
    await sock.expect("player_reconnected")
    return Probe(sock)


def _deep(levels: int) -> str:
    return '{"type":"action","payload":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


NASTY = [
    ("[oops", "invalid_json"),
    ("123abc", "invalid_json"),
    ('{"type":"chat","text":"trunc', "invalid_json"),
    ('{"type":"ping","ref":1e400}', "invalid_frame"),
    ('{"type":"action","payload":{"x":1e400}}', "invalid_frame"),
    ('{"type":"resume","room_code":"ABCDEF","last_seq":123456789012345678901234567890}', "invalid_frame"),
    ('{"type":"ping","ref":123456789012345678901234567890}', "invalid_frame"),
    (_deep(MAX_DEPTH + 1), "invalid_frame"),
    (_deep(5000), "invalid_frame"),
    ('{"type":"ping","x":' + "[" * 2000 + "]" * 2000 + "}", "invalid_frame"),
    ("[" * 5000, "invalid_frame"),
    ('{"type":"chat","text":"' + " " * 30_000 + 'a"}', "invalid_chat"),
    ('{"type":{"a":1}}', "invalid_frame"),
    ("null", "invalid_frame"),
    (b'{"type":"chat","text":"\xff\xfe"}', None),  # a binary frame, read as UTF-8 with replacements
]


async def test_the_nasty_frames_of_the_issue_get_coded_errors(
    server: Server, remote: Api, logged: list[logging.LogRecord]
) -> None:
    probe = await _probe(server, remote)
    for frame, code in NASTY:
        answers = await probe.send(frame)
        if code is not None:
            assert [(a["type"], a.get("code")) for a in answers] == [("error", code)], frame
    chat = await probe.send('{"type":"chat","text":"' + " " * 499 + 'a"}')
    assert [a["text"] for a in chat] == [" " * 499 + "a"]  # 500 as sent passes, and is sent as it came
    _no_exception_logged(logged)


nasty_frames = (
    anything.map(dump)
    | damaged()
    | st.binary(max_size=64)
    | st.sampled_from([frame for frame, _ in NASTY])
    | st.text(max_size=64)
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=nasty_frames)
async def test_random_frames_never_break_the_socket(
    server: Server, remote: Api, logged: list[logging.LogRecord], frame: str | bytes
) -> None:
    # One socket for every example: what one frame did must not spoil the next.
    probes: dict[str, Probe] = server.__dict__.setdefault("probes", {})
    if "probe" not in probes:
        probes["probe"] = await _probe(server, remote)
    await probes["probe"].send(frame)
    _no_exception_logged(logged)
