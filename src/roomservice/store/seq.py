"""Rooms' frame-number high-water marks (see ``RoomSeqRow``)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from roomservice.store.database import Database
from roomservice.store.models import RoomSeqRow

room_seq = cast(Table, RoomSeqRow.__table__)


class SeqMarks:
    """Reads and raises high-water marks; a mark never goes down."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self, room_id: str) -> int:
        async with self.db.read() as conn:
            value = await conn.scalar(select(room_seq.c.hwm).where(room_seq.c.room_id == room_id))
        return int(value or 0)

    async def raise_to(self, room_id: str, hwm: int) -> None:
        async with self.db.write() as conn:
            insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
            statement = insert(room_seq).values(room_id=room_id, hwm=hwm)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[room_seq.c.room_id],
                    set_={"hwm": func.greatest(room_seq.c.hwm, statement.excluded.hwm)}
                    if conn.dialect.name != "sqlite"
                    else {"hwm": func.max(room_seq.c.hwm, statement.excluded.hwm)},
                )
            )

    async def forget(self, room_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(room_seq).where(room_seq.c.room_id == room_id))
