"""Rooms' saved chat: one row per room holding its recent lines. Runs in a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.store.models import RoomChatRow
from roomservice.store.sql import Statement

room_chat = cast(Table, RoomChatRow.__table__)


def _upsert(insert: Any) -> Statement:
    statement = insert(room_chat).values(
        room_id=bindparam("room_id"), lines=bindparam("lines"), updated_at=bindparam("updated_at")
    )
    return Statement(
        statement.on_conflict_do_update(
            index_elements=[room_chat.c.room_id],
            set_={"lines": statement.excluded.lines, "updated_at": statement.excluded.updated_at},
        )
    )


#: Built once: the chat save runs every second for every room that chatted.
_SAVE = {"sqlite": _upsert(sqlite_insert), "postgresql": _upsert(pg_insert)}


async def save(conn: AsyncConnection, lines: Mapping[str, Any], now: float) -> None:
    """Replace each room's saved lines with ``lines[room_id]``: a list of JSON objects, or that list
    already encoded (``msgspec.Raw``), which the JSON column's encoder writes as it is."""
    if not lines:
        return
    await _SAVE[conn.dialect.name].many(
        conn, [{"room_id": room_id, "lines": saved, "updated_at": now} for room_id, saved in lines.items()]
    )


async def load(conn: AsyncConnection, room_id: str) -> list[dict[str, Any]]:
    saved = await conn.scalar(select(room_chat.c.lines).where(room_chat.c.room_id == room_id))
    return list(saved or [])


async def forget(conn: AsyncConnection, room_id: str) -> None:
    await conn.execute(delete(room_chat).where(room_chat.c.room_id == room_id))
