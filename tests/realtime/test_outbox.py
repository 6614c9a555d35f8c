"""The outbox numbers a room's frames above a high-water mark kept in the database: an owner that
restarts continues above every number it sent, without a write per frame."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from roomservice.broker.base import Envelope
from roomservice.broker.local import LocalBroker
from roomservice.config import Settings
from roomservice.leases.local import LocalLeases
from roomservice.protocol.messages import Chat
from roomservice.realtime import outbox as outbox_module
from roomservice.realtime.outbox import Outbox
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from roomservice.store.seq import SeqMarks


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


def _chat(text: str) -> Chat[str]:
    return Chat(sender="alice", session_id="s-alice", text=text, at="2026-11-26T12:00:00Z")


def _outbox(db: Database, received: list[Envelope] | None = None) -> Outbox:
    broker = LocalBroker()
    if received is not None:
        broker.subscribe("room-1", received.append)
    return Outbox(Settings(resume_buffer=8), broker, LocalLeases(), SeqMarks(db))


async def test_a_restarted_owner_numbers_above_everything_sent_before(db: Database) -> None:
    received: list[Envelope] = []
    first = _outbox(db, received)
    room = await first.open("room-1", "ABCDEF")
    for n in range(5):
        first.publish(room, _chat(f"m{n}"))
    sent = [e.seq for e in received]
    assert sent == sorted(set(sent)) and len(sent) == 5
    assert [msgspec.json.decode(e.text)["seq"] for e in received] == sent
    # The process dies: nothing is closed or flushed.
    second = _outbox(db)
    again = await second.open("room-1", "ABCDEF")
    assert second.next_seq(again) > max(sent)


async def test_numbers_are_reserved_in_blocks_ahead_of_use(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "SEQ_BLOCK", 10)
    marks = SeqMarks(db)
    box = _outbox(db)
    room = await box.open("room-1", "ABCDEF")
    assert await marks.load("room-1") == 10  # reserved before the first frame
    for _ in range(6):
        box.next_seq(room)  # past half the block: the next one is reserved in the background
    await box.close()  # waits for the reservation in flight
    assert await marks.load("room-1") == 20
    assert (await _outbox(db).open("room-1", "ABCDEF")).seq == 20


async def test_resume_replays_only_what_the_buffer_still_holds(db: Database) -> None:
    box = _outbox(db)
    room = await box.open("room-1", "ABCDEF")
    seqs = [box.publish(room, _chat(str(n))) for n in range(12)]
    missed = room.missed("s", seqs[5], seqs[-1])
    assert missed is not None and [msgspec.json.decode(t)["text"] for t in missed] == [
        str(n) for n in range(6, 12)
    ]
    assert room.missed("s", seqs[1], seqs[-1]) is None  # the 8-frame buffer no longer reaches back
    assert list(room.missed("s", seqs[-1], seqs[-1]) or ["x"]) == []


async def test_one_frame_with_a_text_per_receiver_takes_one_buffer_slot(db: Database) -> None:
    box = _outbox(db)
    room = await box.open("room-1", "ABCDEF")
    seq = box.next_seq(room)
    box.publish_views(room, {"alice": "A", "bob": "B"}, "S", "game_state")
    assert len(room.buffer) == 1
    assert [list(room.missed(who, seq - 1, seq) or []) for who in ("alice", "bob", "carol")] == [
        ["A"],
        ["B"],
        ["S"],
    ]


async def test_a_closed_room_forgets_its_mark(db: Database) -> None:
    marks = SeqMarks(db)
    box = _outbox(db)
    await box.open("room-1", "ABCDEF")
    await box.close_room("room-1")
    assert await marks.load("room-1") == 0 and box.get("room-1") is None
