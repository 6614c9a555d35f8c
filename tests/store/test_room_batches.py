"""The room queries that serve many rooms or sessions in one call (matchmaking's batches), on SQLite
and PostgreSQL: each gives what its one-at-a-time counterpart gives."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from roomservice.model import Member, Room, Session
from roomservice.protocol.rooms import RoomConfig
from roomservice.store import rooms as repo
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from roomservice.store.sessions import insert_session
from roomservice.types import Role, RoomState


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.close()


def _room(code: str, host: str, state: RoomState = RoomState.WAITING) -> Room:
    config = RoomConfig(
        max_players=5,
        min_players=3,
        timeout_seconds=300,
        allow_spectators=False,
        keep_when_empty=False,
        reconnect_grace_seconds=30,
        bots=0,
    )
    return Room(
        room_id=f"id-{code}",
        room_code=code,
        name=f"Match {code}",
        game="cabo",
        has_password=False,
        private=True,
        config=config,
        state=state,
        host_session_id=host,
        creator_session_id=host,
        created_at=10.0,
        last_activity=11.0,
        game_started_at=None,
        members=(),
    )


async def test_rooms_and_seats_written_in_batches_read_back_as_one_by_one(db: Database) -> None:
    async with db.write() as conn:
        for name in ("ann", "bob", "cat", "dan"):
            await insert_session(conn, Session(f"s-{name}", name, 1.0))
        one = _room("AAAAAA", "s-ann")
        two = _room("BBBBBB", "s-cat")
        seats = [
            (one.room_id, Member("s-ann", "ann", Role.PLAYER, 1, 10.0)),
            (one.room_id, Member("s-bob", "bob", Role.PLAYER, 2, 10.5)),
            (two.room_id, Member("s-cat", "cat", Role.PLAYER, 1, 10.0)),
        ]
        one = dataclasses.replace(one, members=tuple(m for r, m in seats if r == one.room_id))
        two = dataclasses.replace(two, members=tuple(m for r, m in seats if r == two.room_id))
        await repo.insert_rooms(conn, [one, two])
        await repo.add_members(conn, seats)
    async with db.read() as conn:
        assert await repo.get_room(conn, code="AAAAAA") == (one, None)
        assert await repo.get_room(conn, code="BBBBBB") == (two, None)
        assert await repo.seats_of(conn, ["s-ann", "s-cat", "s-dan", "nobody", "s-ann"]) == {
            "s-ann": ("ann", one.room_id),
            "s-cat": ("cat", two.room_id),
            "s-dan": ("dan", None),
        }
        for session_id in ("s-ann", "s-dan"):
            one_by_one = await repo.seat_of(conn, session_id)
            assert (await repo.seats_of(conn, [session_id]))[session_id] == one_by_one
    # On PostgreSQL the seating transaction's look-up also sets its commit asynchronous, for that
    # transaction only; the answer is the same.
    async with db.write() as conn:
        assert await repo.seats_of(conn, ["s-ann", "nobody"], async_commit=True) == {
            "s-ann": ("ann", one.room_id)
        }
        if not db.sqlite:
            assert (await conn.execute(text("SHOW synchronous_commit"))).scalar() == "off"
    if not db.sqlite:
        async with db.read() as conn:
            assert (await conn.execute(text("SHOW synchronous_commit"))).scalar() == "on"

    started = dataclasses.replace(two, state=RoomState.IN_GAME, game_started_at=12.0, last_activity=12.0)
    moved = dataclasses.replace(one, host_session_id="s-bob", last_activity=13.0)
    async with db.write() as conn:
        await repo.save_rooms(conn, [started, moved])
    async with db.read() as conn:
        assert await repo.get_room(conn, code="BBBBBB") == (started, None)
        assert await repo.get_room(conn, code="AAAAAA") == (moved, None)
        assert await repo.in_game(conn, ["s-ann", "s-cat", "s-dan", "nobody"]) == {"s-cat"}
        assert await repo.in_game(conn, []) == set()
