"""The hub's parts without a server: ``Presence``, ``Dispatcher`` and ``Outbox`` over the in-process
broker and leases, with a room directory and a game desk that record what they are asked, sockets that
record what they are sent, and a scheduler whose time moves only when the test says so."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import pytest

from roomservice.broker.local import LocalBroker
from roomservice.config import Settings
from roomservice.errors import Conflict
from roomservice.leases.local import LocalLeases
from roomservice.model import Member, Room, RoomConfig, Session
from roomservice.protocol import messages
from roomservice.realtime.connection import Connection
from roomservice.realtime.dispatch import Dispatcher
from roomservice.realtime.outbox import Outbox
from roomservice.realtime.ports import Reply
from roomservice.realtime.presence import RESUME_WINDOW, Presence
from roomservice.realtime.ratelimit import TokenBucket
from roomservice.rooms import events
from roomservice.rooms.chat import ChatLog, Line
from roomservice.types import Role, RoomState
from tests.fakes import ManualScheduler

GRACE = 30


class Marks:
    """High-water marks kept in memory."""

    def __init__(self) -> None:
        self.marks: dict[str, int] = {}

    async def claim(self, room_id: str, token: int) -> int:
        return self.marks.get(room_id, 0)

    async def raise_to(self, room_id: str, hwm: int, token: int | None = None) -> None:
        self.marks[room_id] = max(self.marks.get(room_id, 0), hwm)

    async def forget(self, room_id: str, token: int | None = None) -> None:
        self.marks.pop(room_id, None)


class Directory:
    """A ``RoomDirectory`` over rooms in memory; ``leave`` tells the outbox, as the room service does."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.rooms: dict[str, Room] = {}
        self.left: list[tuple[str, str]] = []

    async def room_of(self, session_id: str) -> Room | None:
        return next((r for r in self.rooms.values() if r.member(session_id)), None)

    async def occupied(self) -> list[Room]:
        return [r for r in self.rooms.values() if r.members]

    async def leave(self, session: Session, code: str, reason: str = "left") -> Room | None:
        room = next(r for r in self.rooms.values() if r.room_code == code)
        member = room.member(session.session_id)
        if member is None:
            raise Conflict("not_in_room", "You are not in this room.")
        room = dataclasses.replace(room, members=tuple(m for m in room.members if m is not member))
        self.rooms[room.room_id] = room
        self.left.append((session.session_id, reason))
        await self.outbox.room_events(room, [events.player_left(member, reason)])
        return room


class Desk:
    """A ``GameDesk`` that notes every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        #: The input rate the game "running" in every room declares.
        self.rate = 0.0

    def input_rate(self, room_id: str) -> float:
        return self.rate

    def act(self, room_id: str, session_id: str, payload: Any, reply: Reply, ref: str | int | None) -> None:
        self.calls.append(("act", session_id, payload, ref))
        reply(json.dumps({"type": "error", "code": "game_not_started", "message": "-", "ref": ref}))

    def attached(self, room_id: str, session_id: str) -> None:
        self.calls.append(("attached", session_id))

    def presence(self, room_id: str, session_id: str, online: bool) -> None:
        self.calls.append(("presence", session_id, online))


class Peer:
    """A socket that keeps what it is sent; ``expect`` waits for a frame, not for time."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.seen: list[dict[str, Any]] = []
        #: Every text sent, as sent.
        self.texts: list[str] = []
        self.closed_with: tuple[int, str] | None = None
        bucket = TokenBucket(settings.ws_rate_limit, settings.ws_rate_burst, time.monotonic)
        self.conn = Connection(session, self._send, self._close, bucket, settings.ws_send_queue)

    async def _send(self, text: str) -> None:
        self.texts.append(text)
        self.frames.put_nowait(json.loads(text))

    async def _close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)

    async def next(self) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.frames.get(), 5)
        self.seen.append(frame)
        return frame

    async def expect(self, kind: str, **fields: Any) -> dict[str, Any]:
        while True:
            frame = await self.next()
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    def pending(self) -> list[str]:
        """Types of the frames already sent and not read yet."""
        out = []
        while not self.frames.empty():
            frame = self.frames.get_nowait()
            self.seen.append(frame)
            out.append(frame["type"])
        return out


class Node:
    def __init__(self, settings: Settings, scheduler: ManualScheduler) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self.broker = LocalBroker()
        self.outbox = Outbox(settings, self.broker, LocalLeases(clock=scheduler), Marks())
        self.rooms = Directory(self.outbox)
        self.desk = Desk()
        self.saved: list[Mapping[str, list[Line]]] = []
        self.chat = ChatLog(self._load, self._save, settings.chat_history)
        self.presence = Presence(
            settings, self.outbox, self.broker, self.rooms, self.desk, self.chat, scheduler
        )
        self.dispatcher = Dispatcher(settings, self.presence, self.outbox, self.desk, self.chat, scheduler)

    async def _load(self, room_id: str) -> list[Line]:
        return []

    async def _save(self, lines: Mapping[str, msgspec.Raw]) -> None:
        self.saved.append({room_id: msgspec.json.decode(raw) for room_id, raw in lines.items()})

    def seat(self, *names: str) -> tuple[Room, list[Session]]:
        """A room with ``names`` seated (the first hosts)."""
        now = self.scheduler.now()
        sessions = [Session(f"s-{n}", n, now) for n in names]
        members = tuple(
            Member(s.session_id, s.username, Role.PLAYER, i + 1, now) for i, s in enumerate(sessions)
        )
        config = RoomConfig(max_players=8, min_players=1, timeout_seconds=600, reconnect_grace_seconds=GRACE)
        room = Room(
            "room-1", "ABCDEF", "r", "cabo", False, False, config, RoomState.WAITING,
            sessions[0].session_id, sessions[0].session_id, now, now, None, members,
        )  # fmt: skip
        self.rooms.rooms[room.room_id] = room
        return room, sessions

    async def connect(self, session: Session) -> Peer:
        peer = Peer(session, self.settings)
        assert await self.presence.connect(peer.conn)
        return peer

    async def drop(self, peer: Peer) -> None:
        """The socket's receiving side ended."""
        await self.presence.disconnect(peer.conn)

    async def say(self, peer: Peer, frame: dict[str, Any]) -> None:
        self.dispatcher.receive(peer.conn, json.dumps(frame))


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    scheduler = ManualScheduler()
    settings = Settings(data_dir=tmp_path, secret_key="test-secret", ws_rate_limit=0, resume_buffer=8)
    made = Node(settings, scheduler)
    yield made
    await made.presence.close()
    await made.outbox.close()
    await made.broker.close()
    await scheduler.close()


async def test_a_chat_line_is_sent_as_the_chat_frame_encoded(node: Node) -> None:
    """Lines are written without building their frame: byte for byte what encoding it gives, whatever
    the names and texts hold; the room's history keeps those very texts."""
    names = ["ann", 'bo"b', "ünï\\", "日本"]
    _, sessions = node.seat(*names)
    peers = [await node.connect(s) for s in sessions]
    texts = ['say "hi"\\n', "\x01\x1f\u2028\t", "🎲 日本語", "</script>", "  x  "]
    for i, text in enumerate(texts * 2):
        speaker = peers[i % len(peers)]
        await node.say(speaker, {"type": "chat", "text": text})
        heard = await peers[0].expect("chat", text=text)
        frame = messages.Chat(
            sender=speaker.conn.session.username,
            session_id=speaker.conn.session_id,
            text=text,
            at=heard["at"],
        )
        frame.seq = heard["seq"]
        assert peers[0].texts[-1] == messages.encode(frame)
    lines = [bytes(line).decode() for line in node.chat.recent("room-1")]
    assert lines == [t for t in peers[0].texts if t.startswith('{"type":"chat"')]


async def test_a_socket_gets_its_room_then_hears_the_others(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a = await node.connect(ann)
    state = await a.next()
    assert state["type"] == "room_state" and [p["online"] for p in state["players"]] == [True, False]
    b = await node.connect(bob)
    assert (await b.next())["type"] == "room_state"
    back = await a.expect("player_reconnected", session_id=bob.session_id)
    assert ("attached", bob.session_id) in node.desk.calls and (
        "presence",
        bob.session_id,
        True,
    ) in node.desk.calls

    await node.say(b, {"type": "chat", "text": "hi", "ref": 1})
    heard, echo = await a.expect("chat"), await b.expect("chat")
    assert heard == echo and heard["seq"] > back["seq"] and heard["from"] == "bob"
    assert [json.loads(bytes(line))["text"] for line in node.chat.recent("room-1")] == ["hi"]
    await node.chat.flush()
    assert [[line["text"] for line in lines] for lines in node.saved[0].values()] == [["hi"]]

    await node.say(a, {"type": "action", "payload": {"cell": 4}, "ref": "go"})
    assert (await a.expect("error"))["ref"] == "go"
    assert ("act", ann.session_id, {"cell": 4}, "go") in node.desk.calls


async def test_the_seat_is_given_up_when_the_grace_runs_out(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    await a.expect("player_reconnected", session_id=bob.session_id)
    await node.drop(b)
    await a.expect("player_disconnected", session_id=bob.session_id)
    assert ("presence", bob.session_id, False) in node.desk.calls
    await node.scheduler.advance(GRACE - 1)
    assert node.rooms.left == [] and a.pending() == []
    await node.scheduler.advance(1)
    assert node.rooms.left == [(bob.session_id, "disconnected")]
    assert (await a.expect("player_left"))["reason"] == "disconnected"


async def test_coming_back_within_the_grace_keeps_the_seat(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    await node.drop(b)
    await node.scheduler.advance(GRACE - 1)
    b = await node.connect(bob)
    await a.expect("player_reconnected", session_id=bob.session_id)
    await node.scheduler.advance(GRACE * 2)
    assert node.rooms.left == []


async def test_a_resume_replays_what_was_missed_before_what_was_held(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    await node.say(a, {"type": "chat", "text": "one"})
    last = (await b.expect("chat"))["seq"]
    await node.drop(b)
    for text in ("two", "three"):
        await node.say(a, {"type": "chat", "text": text})
    b = await node.connect(bob)
    assert (await b.next())["type"] == "room_state"
    await node.say(a, {"type": "chat", "text": "four"})  # live, held until the resume
    await node.scheduler.settle()
    assert b.pending() == []
    await node.say(b, {"type": "resume", "room_code": "abcdef", "last_seq": last})
    texts = [(await b.expect("chat"))["text"] for _ in range(3)]
    assert texts == ["two", "three", "four"]


async def test_held_frames_flow_when_the_resume_window_closes(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    await node.drop(b)
    b = await node.connect(bob)
    await b.expect("room_state")
    await node.say(a, {"type": "chat", "text": "there?"})
    await node.scheduler.advance(RESUME_WINDOW / 2)
    assert b.pending() == []
    await node.scheduler.advance(RESUME_WINDOW / 2)
    assert (await b.expect("chat"))["text"] == "there?"


async def test_too_far_behind_gets_the_room_as_it_stands(node: Node) -> None:
    _, (ann, bob) = node.seat("ann", "bob")
    a, b = await node.connect(ann), await node.connect(bob)
    await node.say(a, {"type": "chat", "text": "first"})
    last = (await b.expect("chat"))["seq"]
    await node.drop(b)
    for i in range(node.settings.resume_buffer + 1):  # more than the buffer keeps
        await node.say(a, {"type": "chat", "text": f"m{i}"})
    b = await node.connect(bob)
    await b.expect("room_state")
    await node.say(b, {"type": "resume", "room_code": "ABCDEF", "last_seq": last})
    fresh = await b.expect("room_state")
    assert fresh["seq"] > last and fresh["chat"][-1]["text"] == f"m{node.settings.resume_buffer}"


async def test_a_second_socket_replaces_the_first(node: Node) -> None:
    _, (ann,) = node.seat("ann")
    first = await node.connect(ann)
    await first.expect("room_state")
    second = await node.connect(ann)
    await second.expect("room_state")
    assert (await first.expect("error"))["code"] == "session_replaced"
    await asyncio.wait_for(first.conn.wait_closed_after_flush(), 5)
    assert first.closed_with is not None and first.closed_with[0] == 4002
    await node.drop(first)  # the replaced socket's end does not free the seat
    await node.scheduler.advance(GRACE * 2)
    assert node.rooms.left == []
