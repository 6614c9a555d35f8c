"""Join and leave as one PostgreSQL statement each: the common case runs no transaction of its own, a
statement that waited for its room while the seats changed writes nothing and is run again, and a
connection the server closed is replaced without a failed request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text

from roomservice.config import Settings
from roomservice.games.registry import default_registry
from roomservice.model import Session
from roomservice.rooms.service import RoomService
from roomservice.sessions import SessionService, TokenSigner
from roomservice.store import oneshot
from roomservice.store import rooms as repo
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from tests.conftest import FakeClock

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class World:
    def __init__(self, db: Database, rooms: RoomService, sessions: SessionService) -> None:
        self.db = db
        self.rooms = rooms
        self.sessions = sessions
        self.statements: list[str] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.statements.append(str(args[2]))

    async def session(self, name: str) -> Session:
        return (await self.sessions.create(name))[0]


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret")
    db = Database(database_url)
    await upgrade(db)
    rooms = RoomService(db, default_registry(), settings, sink=None, clock=clock)
    yield World(db, rooms, SessionService(db, TokenSigner("secret", 3600), clock))
    await db.close()


async def _stored(db: Database, code: str) -> Any:
    async with db.read() as conn:
        found = await repo.get_room(conn, code=code)
    assert found is not None
    return found[0]


async def test_join_and_leave_run_as_one_statement_each(world: World) -> None:
    ann, bob = await world.session("ann"), await world.session("bob")
    room = await world.rooms.create(ann, name="r", game="cabo")
    world.statements.clear()
    joined = await world.rooms.join(bob, room.room_code)
    assert [m.username for m in joined.players] == ["ann", "bob"]
    assert joined == await _stored(world.db, room.room_code)
    world.statements.clear()
    left = await world.rooms.leave(ann, room.room_code)
    assert left is not None and left.host_session_id == bob.session_id
    assert left == await _stored(world.db, room.room_code)
    # Neither went through a transaction of SQLAlchemy's (reading the room back did, once).
    assert len(world.statements) == 2 and all("FOR UPDATE" not in s for s in world.statements)
    # Their commits skipped the flush to disk, and only theirs: the connection's setting is as before.
    async with world.db.direct() as conn:
        assert await conn.fetchval("SHOW synchronous_commit") == "on"


async def _waiting_for_a_lock(db: Database) -> None:
    """Until some statement on the database waits for a row lock."""
    for _ in range(500):
        async with db.read() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no statement waited for the room's lock")


async def test_a_statement_that_waited_while_the_seats_changed_writes_nothing(
    world: World, clock: FakeClock
) -> None:
    ann, bob, cat = await world.session("ann"), await world.session("bob"), await world.session("cat")
    room = await world.rooms.create(ann, name="r", game="cabo")
    async with world.db.write() as conn:
        found = await repo.get_room(conn, code=room.room_code, lock=True)
        assert found is not None
        waiter = asyncio.create_task(
            oneshot.OneShot(world.db).join(room.room_code, cat.session_id, "player", clock(), None)
        )
        await _waiting_for_a_lock(world.db)
        # Bob takes seat 2 while cat's statement waits for the room.
        bob_seat = repo.seat_from_row((bob.session_id, "bob", "player", 2, clock(), room.room_id, False))
        await repo.add_member(conn, room.room_id, bob_seat)
        await repo.save_room(conn, found[0])
    stale = await waiter
    assert stale is not None and (stale.done, stale.fresh) == (False, False)
    assert [m.username for m in (await _stored(world.db, room.room_code)).members] == ["ann", "bob"]
    # Run again, it sees bob and takes the next seat; the service does that by itself.
    joined = await world.rooms.join(cat, room.room_code)
    assert [(m.username, m.seat) for m in joined.members] == [("ann", 1), ("bob", 2), ("cat", 3)]
    assert joined == await _stored(world.db, room.room_code)


async def test_refusals_are_the_transactions(world: World) -> None:
    ann, bob, cat = await world.session("ann"), await world.session("bob"), await world.session("cat")
    room = await world.rooms.create(ann, name="r", game="tictactoe")
    await world.rooms.join(bob, room.room_code)
    refused = await oneshot.OneShot(world.db).join(room.room_code, cat.session_id, "player", 0.0, None)
    assert refused is not None and (refused.done, refused.fresh) == (False, True)
    assert await oneshot.OneShot(world.db).join("NOROOM", cat.session_id, "player", 0.0, None) is None
    await world.rooms.leave(bob, room.room_code)
    # The last person's leave deletes the room: the transaction's work, not the statement's.
    last = await oneshot.OneShot(world.db).leave(room.room_code, ann.session_id, 0.0)
    assert last is not None and (last.done, last.fresh) == (False, True)
    assert await world.rooms.leave(ann, room.room_code) is None


async def test_connections_the_server_closed_are_replaced(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    name = f"rs-test-{uuid.uuid4().hex[:12]}"  # only this test's connections are cut
    db = Database(database_url, connect_args={"server_settings": {"application_name": name}})
    await upgrade(db)
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key="test-secret")
    world = World(
        db,
        RoomService(db, default_registry(), settings, None, clock),
        SessionService(db, TokenSigner("secret", 3600), clock),
    )
    try:
        ann, bob = await world.session("ann"), await world.session("bob")
        room = await world.rooms.create(ann, name="r", game="cabo")
        await world.rooms.join(bob, room.room_code)
        await _cut(database_url, name)
        left = await world.rooms.leave(bob, room.room_code)
        assert left is not None and [m.username for m in left.members] == ["ann"]
        await _cut(database_url, name)
        assert (await world.rooms.get(room.room_code)) == left
    finally:
        await db.close()


async def _cut(database_url: str, application_name: str) -> None:
    """Terminate every backend of ``application_name``, as a PostgreSQL restart would, and return
    once they are gone (their sockets closed)."""
    admin = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            application_name,
        )
        assert killed >= 1
        for _ in range(500):
            left = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application_name
            )
            if not left:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the terminated backends are still there")
    finally:
        await admin.close()
