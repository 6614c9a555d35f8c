"""What the socket layer tells the operator, at INFO, naming the room and the session: a slow client
dropped, a resume refused or too old to replay, a seat given up when its grace ran out."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from roomservice.realtime.connection import Connection
from roomservice.realtime.ratelimit import TokenBucket
from tests.realtime.test_hub_parts import GRACE, Node, node

__all__ = ["node"]  # the fixture, shared with the hub's own tests


def _about(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("roomservice.") and words in r.getMessage()]


@pytest.fixture(autouse=True)
def _info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="roomservice")


async def test_a_slow_client_dropped(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a = await node.connect(ann)
    stuck = asyncio.Event()  # bob's socket takes no writes at all

    async def send(text: str) -> None:
        await stuck.wait()

    async def close(code: int, reason: str) -> None:
        pass

    bucket = TokenBucket(0, 1, time.monotonic)
    slow = Connection(bob, send, close, bucket, outbox_size=4)
    assert await node.presence.connect(slow)
    for i in range(8):
        await node.say(a, {"type": "chat", "text": f"m{i}"})
    assert slow.closed
    [dropped] = _about(caplog, "dropping slow client")
    assert (
        dropped.getMessage()
        == f"room ABCDEF: dropping slow client {bob.session_id} (5 frames unread); it may resume"
    )
    assert (dropped.room, dropped.session) == ("ABCDEF", bob.session_id)  # type: ignore[attr-defined]
    stuck.set()
    await slow.wait_closed()


async def test_resumes_refused(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    await node.say(b, {"type": "resume", "room_code": "ZZ\n99", "last_seq": 0})
    assert (await b.expect("error"))["code"] == "not_in_room"
    [refused] = _about(caplog, "resume refused")
    assert (
        refused.getMessage()
        == f"room ZZ?99: resume refused for session {bob.session_id}: it is not in that room"
    )
    assert (refused.room, refused.session) == ("ZZ?99", bob.session_id)  # type: ignore[attr-defined]
    # A client that repeats it is logged at the 2nd, 4th, 8th...: it cannot flood the log.
    for _ in range(7):
        await node.say(b, {"type": "resume", "room_code": "ZZ99", "last_seq": 0})
    logged = [r.getMessage() for r in _about(caplog, "resume refused")]
    assert [m.rpartition("room")[2] for m in logged] == [
        "",
        " (2 on this socket)",
        " (4 on this socket)",
        " (8 on this socket)",
    ]

    await node.say(a, {"type": "chat", "text": "first"})
    last = (await b.expect("chat"))["seq"]
    await node.drop(b)
    for i in range(node.settings.resume_buffer + 1):  # more than the buffer keeps
        await node.say(a, {"type": "chat", "text": f"m{i}"})
    b = await node.connect(bob)
    await b.expect("room_state")
    await node.say(b, {"type": "resume", "room_code": "ABCDEF", "last_seq": last})
    await b.expect("room_state")
    [old] = _about(caplog, "older than the resume buffer")
    assert old.getMessage().startswith(
        f"room ABCDEF: resume of session {bob.session_id} from seq {last} refused"
    )
    assert (old.room, old.session) == ("ABCDEF", bob.session_id)  # type: ignore[attr-defined]


async def test_a_seat_given_up_after_its_grace(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    await node.connect(ann)
    b = await node.connect(bob)
    await node.drop(b)
    await node.scheduler.advance(GRACE)
    [gone] = _about(caplog, "grace period")
    assert gone.getMessage().startswith(f"room ABCDEF: session {bob.session_id} did not come back")
    assert (gone.room, gone.session) == ("ABCDEF", bob.session_id)  # type: ignore[attr-defined]
