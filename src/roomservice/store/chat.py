"""Rooms' saved chat: one row per room holding its recent lines. Runs in a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.store.models import RoomChatRow

room_chat = cast(Table, RoomChatRow.__table__)


async def save(conn: AsyncConnection, lines: Mapping[str, Any], now: float) -> None:
    """Replace each room's saved lines with ``lines[room_id]``: a list of JSON objects, or that list
    already encoded (``msgspec.Raw``), which the JSON column's encoder writes as it is."""
    if not lines:
        return
    insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    statement = insert(room_chat)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[room_chat.c.room_id],
            set_={"lines": statement.excluded.lines, "updated_at": statement.excluded.updated_at},
        ),
        [{"room_id": room_id, "lines": saved, "updated_at": now} for room_id, saved in lines.items()],
    )


async def load(conn: AsyncConnection, room_id: str) -> list[dict[str, Any]]:
    saved = await conn.scalar(select(room_chat.c.lines).where(room_chat.c.room_id == room_id))
    return list(saved or [])


async def forget(conn: AsyncConnection, room_id: str) -> None:
    await conn.execute(delete(room_chat).where(room_chat.c.room_id == room_id))
