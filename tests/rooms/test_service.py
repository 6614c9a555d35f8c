"""The room service without a server: room operations over a real database, and the frames each one
hands to its event sink after it committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest

from roomservice.config import Settings
from roomservice.errors import Conflict, Forbidden, Invalid, NotFound
from roomservice.games.registry import default_registry
from roomservice.model import Room, Session
from roomservice.rooms.events import RoomEvent
from roomservice.rooms.service import RoomService
from roomservice.sessions import SessionService, TokenSigner
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from roomservice.types import RoomState
from tests.conftest import FakeClock


def _unnumbered(frame: Any) -> dict[str, Any]:
    """A frame as the sink got it: the outbox numbers it later."""
    data: dict[str, Any] = msgspec.to_builtins(frame)
    data.pop("seq", None)
    return data


class Sink:
    """Keeps every batch of events with the room as it stood."""

    def __init__(self) -> None:
        self.batches: list[tuple[Room, list[RoomEvent]]] = []

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        self.batches.append((room, list(events)))

    def frames(self) -> list[dict[str, Any]]:
        """Every frame since the last call, with its addressee under ``to`` when it has one."""
        out = [
            {**_unnumbered(e.frame), **({"to": e.to} if e.to else {})}
            for _, batch in self.batches
            for e in batch
        ]
        self.batches.clear()
        return out


class World:
    def __init__(self, rooms: RoomService, sessions: SessionService, sink: Sink, clock: FakeClock) -> None:
        self.rooms = rooms
        self.sessions = sessions
        self.sink = sink
        self.clock = clock

    async def session(self, name: str) -> Session:
        return (await self.sessions.create(name))[0]


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret")
    db = Database(database_url)
    await upgrade(db)
    sink = Sink()
    rooms = RoomService(db, default_registry(), settings, sink=sink, clock=clock)
    yield World(rooms, SessionService(db, TokenSigner("secret", 3600), clock), sink, clock)
    await db.close()


async def test_create_join_and_leave_emit_membership_frames(world: World) -> None:
    ann, bob = await world.session("ann"), await world.session("bob")
    room = await world.rooms.create(ann, name="  Table ", game="cabo")
    assert (room.name, room.host_session_id, room.state) == ("Table", ann.session_id, RoomState.WAITING)
    assert [m.username for m in room.members] == ["ann"]
    assert world.sink.frames() == []  # nobody else is there to be told

    world.clock.advance(5)
    room = await world.rooms.join(bob, room.room_code.lower())
    assert [m.username for m in room.players] == ["ann", "bob"] and room.last_activity == world.clock.now
    [joined] = world.sink.frames()
    assert joined["type"] == "player_joined" and joined["player"]["username"] == "bob"
    assert await world.rooms.join(bob, room.room_code) == room  # joining again changes nothing
    assert world.sink.frames() == []
    assert (await world.rooms.room_of(bob.session_id)) == room

    room_after = await world.rooms.leave(bob, room.room_code)
    assert room_after is not None and [m.username for m in room_after.members] == ["ann"]
    [left] = world.sink.frames()
    assert (left["type"], left["session_id"], left["reason"]) == ("player_left", bob.session_id, "left")
    assert await world.rooms.room_of(bob.session_id) is None


async def test_the_host_moves_to_the_next_player_and_an_empty_room_closes(world: World) -> None:
    ann, bob, cat = await world.session("ann"), await world.session("bob"), await world.session("cat")
    room = await world.rooms.create(ann, name="r", game="cabo", config={"allow_spectators": True})
    await world.rooms.join(cat, room.room_code, spectator=True)
    await world.rooms.join(bob, room.room_code)
    world.sink.frames()
    room_after = await world.rooms.leave(ann, room.room_code)
    assert room_after is not None and room_after.host_session_id == bob.session_id
    assert [f["type"] for f in world.sink.frames()] == ["player_left", "host_changed"]
    # The last player leaving closes the room, spectators or not.
    assert await world.rooms.leave(bob, room.room_code, reason="disconnected") is None
    frames = world.sink.frames()
    assert [(f["type"], f.get("reason")) for f in frames] == [
        ("player_left", "disconnected"),
        ("room_closed", "empty"),
    ]
    with pytest.raises(NotFound):
        await world.rooms.get(room.room_code)


async def test_kick_is_for_the_host_and_tells_the_kicked_first(world: World) -> None:
    ann, bob, cat = await world.session("ann"), await world.session("bob"), await world.session("cat")
    room = await world.rooms.create(ann, name="r", game="cabo")
    await world.rooms.join(bob, room.room_code)
    await world.rooms.join(cat, room.room_code)
    world.sink.frames()
    with pytest.raises(Forbidden):
        await world.rooms.kick(bob, room.room_code, cat.session_id)
    with pytest.raises(Invalid):
        await world.rooms.kick(ann, room.room_code, ann.session_id)
    room = await world.rooms.kick(ann, room.room_code, cat.session_id)
    assert [m.username for m in room.members] == ["ann", "bob"]
    kicked, left = world.sink.frames()
    assert kicked == {"type": "kicked", "session_id": cat.session_id, "to": cat.session_id}
    assert (left["type"], left["reason"]) == ("player_left", "kicked")
    with pytest.raises(NotFound):
        await world.rooms.kick(ann, room.room_code, cat.session_id)


async def test_start_finish_and_the_rules_around_them(world: World) -> None:
    ann, bob, cat = await world.session("ann"), await world.session("bob"), await world.session("cat")
    room = await world.rooms.create(ann, name="r", game="tictactoe")
    with pytest.raises(Conflict) as few:
        await world.rooms.start(ann, room.room_code)
    assert few.value.code == "not_enough_players"
    await world.rooms.join(bob, room.room_code)
    world.sink.frames()
    room = await world.rooms.start(ann, room.room_code)
    assert room.state is RoomState.IN_GAME and room.game_started_at == world.clock.now
    [updated] = world.sink.frames()
    assert updated["type"] == "room_updated" and updated["room"]["state"] == "IN_GAME"
    with pytest.raises(Conflict) as busy:
        await world.rooms.join(cat, room.room_code)
    assert busy.value.code == "game_in_progress"
    finished = await world.rooms.finish(room.room_id)
    assert finished is not None and finished.state is RoomState.FINISHED
    assert await world.rooms.finish(room.room_id) is None  # only once
    assert [f["room"]["state"] for f in world.sink.frames()] == ["FINISHED"]


async def test_delete_and_expiry_close_the_room_with_their_reason(world: World) -> None:
    ann, bob = await world.session("ann"), await world.session("bob")
    first = await world.rooms.create(ann, name="a", game="cabo")
    with pytest.raises(Forbidden):
        await world.rooms.delete(bob, first.room_code)
    await world.rooms.delete(ann, first.room_code)
    assert world.sink.frames() == [{"type": "room_closed", "reason": "deleted"}]
    idle = await world.rooms.create(bob, name="b", game="cabo", config={"timeout_seconds": 60})
    world.clock.advance(59)
    assert await world.rooms.expire() == []
    world.clock.advance(2)
    assert [r.room_code for r in await world.rooms.expire()] == [idle.room_code]
    assert world.sink.frames() == [{"type": "room_closed", "reason": "expired"}]
