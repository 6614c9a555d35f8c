"""Fencing: every write of a room by its owner carries the owner's lease token, and once a newer owner
claimed the room (token 2) the former one (token 1) can write nothing more of it: not its frame-number
mark, not its game's log, snapshots or result, not its room row. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from roomservice.config import Settings
from roomservice.games.registry import default_registry
from roomservice.leases.base import Fenced
from roomservice.model import Room, Session
from roomservice.rooms.events import RoomEvent
from roomservice.rooms.service import RoomService
from roomservice.store import games as repo
from roomservice.store import seq
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.store.migrate import upgrade
from roomservice.store.seq import SeqMarks
from roomservice.store.sessions import insert_session


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


async def test_a_claim_raises_the_fence_and_a_lower_token_is_refused_from_then_on(db: Database) -> None:
    marks = SeqMarks(db)
    assert await marks.claim("room-1", 1) == 0
    await marks.raise_to("room-1", 100, 1)
    assert await marks.claim("room-1", 2) == 100  # the new owner continues above the old mark
    assert await marks.fence("room-1") == 2
    with pytest.raises(Fenced):
        await marks.raise_to("room-1", 200, 1)
    with pytest.raises(Fenced):
        await marks.claim("room-1", 1)
    await marks.raise_to("room-1", 300, 2)
    assert await marks.load("room-1") == 300
    await marks.forget("room-1", 1)  # the former owner cannot drop what the new one holds
    assert await marks.load("room-1") == 300
    await marks.forget("room-1", 2)
    assert await marks.load("room-1") == 0


async def _game(db: Database, room_id: str) -> str:
    game_id = str(uuid.uuid4())
    record = repo.GameRecord(game_id, room_id, 1, "tictactoe", 7, {}, ["a", "b"], False, 1.0)
    async with db.write() as conn:
        await repo.insert_game(conn, record)
    return game_id


def _step(game_id: str, room_id: str, step: int) -> repo.ActionEntry:
    return repo.ActionEntry(game_id, room_id, step, "action", "a", {"cell": step}, 0, 2.0 + step)


async def test_the_former_owners_game_writes_are_refused_and_the_new_owners_go_in(db: Database) -> None:
    marks = SeqMarks(db)
    journal = Journal(db)
    game_id = await _game(db, "room-1")
    await marks.claim("room-1", 1)
    await journal.write([_step(game_id, "room-1", 1)], ("room-1", 1))
    await marks.claim("room-1", 2)  # another node took the room over
    stale: list[repo.Entry] = [
        _step(game_id, "room-1", 2),
        repo.SnapshotEntry(game_id, 2, 0, {"board": "stale"}, 4.0),
        repo.FinishEntry(game_id, 5.0, {"winners": ["a"]}),
    ]
    with pytest.raises(Fenced) as refused:
        await journal.write(stale, ("room-1", 1))
    assert refused.value.room_id == "room-1"
    journal.write_later([repo.SnapshotEntry(game_id, 3, 0, {"board": "late"}, 6.0)], ("room-1", 1))
    await journal.write([_step(game_id, "room-1", 2)], ("room-1", 2))
    await journal.close()
    async with db.read() as conn:
        steps = await repo.actions_after(conn, game_id, 0)
        snapshot = await repo.latest_snapshot(conn, game_id)
        record = await repo.get_game(conn, game_id)
    assert [(s.step, s.at) for s in steps] == [(1, 3.0), (2, 4.0)]  # step 2 is the new owner's
    assert snapshot is None
    assert record is not None and record.result is None


async def test_a_failure_callback_that_raises_does_not_stop_the_journal(db: Database) -> None:
    marks = SeqMarks(db)
    journal = Journal(db)
    game_id = await _game(db, "room-1")
    await marks.claim("room-1", 2)
    told: list[BaseException] = []

    def failed(exc: BaseException) -> None:
        told.append(exc)
        raise RuntimeError("the callback itself fails")

    journal.write_later([_step(game_id, "room-1", 1)], ("room-1", 1), failed)  # a former owner's
    await asyncio.wait_for(journal.write([_step(game_id, "room-1", 2)], ("room-1", 2)), 5)
    journal.write_later([_step(game_id, "room-1", 3)], ("room-1", 2))
    await journal.close()
    assert len(told) == 1 and isinstance(told[0], Fenced)
    async with db.read() as conn:
        assert [s.step for s in await repo.actions_after(conn, game_id, 0)] == [2, 3]


async def test_one_lost_room_does_not_sink_the_other_rooms_of_its_batch(db: Database) -> None:
    marks = SeqMarks(db)
    journal = Journal(db)
    lost, kept = await _game(db, "room-lost"), await _game(db, "room-kept")
    await marks.claim("room-lost", 1)
    await marks.claim("room-kept", 1)
    await marks.claim("room-lost", 2)
    results = await asyncio.gather(
        journal.write([_step(lost, "room-lost", 1)], ("room-lost", 1)),
        journal.write([_step(kept, "room-kept", 1)], ("room-kept", 1)),
        journal.write([_step(kept, "room-kept", 2)]),  # unfenced: one node alone
        return_exceptions=True,
    )
    await journal.close()
    assert isinstance(results[0], Fenced) and list(results[1:]) == [None, None]
    async with db.read() as conn:
        assert await repo.actions_after(conn, lost, 0) == []
        assert [s.step for s in await repo.actions_after(conn, kept, 0)] == [1, 2]


async def test_a_check_inside_a_write_sees_a_claim_that_committed_before_it(db: Database) -> None:
    marks = SeqMarks(db)
    await marks.claim("room-1", 5)
    async with db.write() as conn:
        await seq.check(conn, "room-1", 5)
        assert await seq.stale(conn, {"room-1": 4, "room-unknown": 1}) == {"room-1"}
    with pytest.raises(Fenced):
        async with db.write() as conn:
            await seq.check(conn, "room-1", 4)


class Owner:
    """This node's view of what it owns: one room, with a token, until told it lost it."""

    fencing = True

    def __init__(self) -> None:
        self.tokens: dict[str, int] = {}
        self.lost_rooms: list[str] = []

    def fence_of(self, room_id: str) -> int | None:
        return self.tokens.get(room_id)

    def lost(self, room_id: str) -> None:
        self.lost_rooms.append(room_id)
        self.tokens.pop(room_id, None)


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[Room, list[RoomEvent]]] = []

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        self.events.append((room, list(events)))


async def test_a_room_operation_of_a_former_owner_is_refused_then_made_as_a_non_owner(db: Database) -> None:
    settings = Settings(database_url=db.url, secret_key="s")
    owner, sink = Owner(), Sink()
    rooms = RoomService(db, default_registry(), settings, sink=sink, owners=owner)
    alice, bob = Session("a" * 36, "alice", 1.0), Session("b" * 36, "bob", 1.0)
    async with db.write() as conn:
        await insert_session(conn, alice)
        await insert_session(conn, bob)
    room = await rooms.create(alice, name="r", game="tictactoe")
    marks = SeqMarks(db)
    await marks.claim(room.room_id, 1)
    owner.tokens[room.room_id] = 1
    await marks.claim(room.room_id, 2)  # a newer owner
    joined = await rooms.join(bob, room.room_code)
    # The fenced try wrote nothing; the second, as a node that does not own the room, seated bob once.
    assert owner.lost_rooms == [room.room_id]
    assert [m.username for m in joined.members] == ["alice", "bob"]
    assert [[e.frame.type for e in batch] for _, batch in sink.events] == [[], ["player_joined"]]
    # The former owner's game result for the room is refused too.
    owner.tokens[room.room_id] = 1
    with pytest.raises(Fenced):
        async with db.write() as conn:
            await rooms._fenced(conn, room.room_id)
