"""Rooms' frame-number high-water marks and fences (see ``RoomSeqRow``).

Fencing: an owner *claims* a room with its lease token before it reads anything of the room (its mark,
its game); the claim raises the room's fence to the token, or is refused when the fence is already
higher. Every later write of the owner carries the token and is refused (:class:`Fenced`) once a newer
owner has claimed the room. On PostgreSQL a fenced write reads the fence ``FOR SHARE`` in its own
transaction, so a claim waits for writes under way and a write after a claim sees it: whatever a
former owner managed to write, the new owner reads when it restores the room.

Claims and raises asked for at the same moment (a node opening many rooms at once: a matchmaking round,
a restart) share one write transaction, each still its own statement: one commit for all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.batching import Batches
from roomservice.leases.base import Fenced
from roomservice.store.database import Database
from roomservice.store.models import RoomSeqRow

room_seq = cast(Table, RoomSeqRow.__table__)


def _insert(conn: AsyncConnection) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_update``."""
    return sqlite_insert if conn.dialect.name == "sqlite" else pg_insert


class SeqMarks:
    """Reads and raises high-water marks (a mark never goes down) and claims rooms' fences."""

    def __init__(self, db: Database) -> None:
        self.db = db
        #: Writes asked for at the same moment share a transaction.
        self._write: Batches[Callable[[AsyncConnection], Awaitable[Any]], Any] = Batches(self._write_all)

    async def load(self, room_id: str) -> int:
        async with self.db.read() as conn:
            value = await conn.scalar(select(room_seq.c.hwm).where(room_seq.c.room_id == room_id))
        return int(value or 0)

    async def fence(self, room_id: str) -> int:
        """The room's fence: the token of its newest owner (0: never claimed)."""
        async with self.db.read() as conn:
            value = await conn.scalar(select(room_seq.c.fence).where(room_seq.c.room_id == room_id))
        return int(value or 0)

    async def _write_all(self, steps: list[Callable[[AsyncConnection], Awaitable[Any]]]) -> list[Any]:
        async with self.db.write() as conn:
            return [await step(conn) for step in steps]

    async def claim(self, room_id: str, token: int) -> int:
        """Make ``token`` the room's fence and return its mark; raise :class:`Fenced` when a higher
        token claimed it already. One statement."""

        async def step(conn: AsyncConnection) -> Any:
            statement = _insert(conn)(room_seq).values(room_id=room_id, hwm=0, fence=token)
            return await conn.scalar(
                statement.on_conflict_do_update(
                    index_elements=[room_seq.c.room_id],
                    set_={"fence": statement.excluded.fence},
                    where=room_seq.c.fence <= statement.excluded.fence,
                ).returning(room_seq.c.hwm)
            )

        hwm = await self._write(step)
        if hwm is None:
            raise Fenced(room_id)
        return int(hwm)

    async def raise_to(self, room_id: str, hwm: int, token: int | None = None) -> None:
        """Raise the mark to ``hwm`` (never lowering it). With ``token``: refused (:class:`Fenced`)
        when the room's fence is above it. One statement."""

        async def step(conn: AsyncConnection) -> Any:
            statement = _insert(conn)(room_seq).values(room_id=room_id, hwm=hwm, fence=token or 0)
            higher = (
                func.max(room_seq.c.hwm, statement.excluded.hwm)
                if conn.dialect.name == "sqlite"
                else func.greatest(room_seq.c.hwm, statement.excluded.hwm)
            )
            upsert = statement.on_conflict_do_update(
                index_elements=[room_seq.c.room_id],
                set_={"hwm": higher},
                where=(room_seq.c.fence <= token) if token is not None else None,
            )
            return await conn.scalar(upsert.returning(room_seq.c.hwm))

        if await self._write(step) is None:
            raise Fenced(room_id)

    async def forget(self, room_id: str, token: int | None = None) -> None:
        """The room is gone: drop its row (with ``token``: only while no newer owner claimed it)."""
        async with self.db.write() as conn:
            query = delete(room_seq).where(room_seq.c.room_id == room_id)
            if token is not None:
                query = query.where(room_seq.c.fence <= token)
            await conn.execute(query)


async def fences(conn: AsyncConnection, room_ids: Iterable[str]) -> dict[str, int]:
    """Inside a write transaction: the fence of each room that has one. The fences read stay locked
    (``FOR SHARE``, PostgreSQL) until the transaction ends, so no claim slips in before it commits."""
    ids = sorted(set(room_ids))
    if not ids:
        return {}
    query = select(room_seq.c.room_id, room_seq.c.fence).where(room_seq.c.room_id.in_(ids))
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(read=True)
    return {room_id: int(fence) for room_id, fence in await conn.execute(query)}


async def stale(conn: AsyncConnection, tokens: Mapping[str, int]) -> set[str]:
    """Inside a write transaction: the rooms of ``tokens`` (room id → token) claimed by a newer owner."""
    current = await fences(conn, tokens)
    return {room_id for room_id, fence in current.items() if fence > tokens[room_id]}


async def check(conn: AsyncConnection, room_id: str, token: int) -> None:
    """Inside a write transaction: raise :class:`Fenced` when a newer owner claimed the room."""
    if await stale(conn, {room_id: token}):
        raise Fenced(room_id)
