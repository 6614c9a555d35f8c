"""Queries on rooms' recent chat. Each runs in a transaction the caller owns."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.store.models import ChatRow

chat = cast(Table, ChatRow.__table__)


@dataclasses.dataclass(frozen=True, slots=True)
class ChatEntry:
    room_id: str
    seq: int
    session_id: str
    username: str
    text: str
    at: str

    @classmethod
    def of(cls, room_id: str, message: dict[str, Any]) -> ChatEntry:
        """From a ``chat`` frame as it was sent."""
        return cls(
            room_id, message["seq"], message["session_id"], message["from"], message["text"], message["at"]
        )

    def frame(self) -> dict[str, Any]:
        return {
            "type": "chat",
            "from": self.username,
            "session_id": self.session_id,
            "text": self.text,
            "at": self.at,
            "seq": self.seq,
        }


async def write(conn: AsyncConnection, entries: Sequence[ChatEntry]) -> None:
    if entries:
        await conn.execute(insert(chat), [dataclasses.asdict(e) for e in entries])


async def prune(conn: AsyncConnection, room_ids: Collection[str], keep: int) -> None:
    """Drop the lines of ``room_ids`` beyond each room's newest ``keep``, in one statement."""
    if not room_ids:
        return
    ranked = (
        select(
            chat.c.id,
            func.row_number().over(partition_by=chat.c.room_id, order_by=chat.c.seq.desc()).label("age"),
        )
        .where(chat.c.room_id.in_(list(room_ids)))
        .subquery()
    )
    await conn.execute(delete(chat).where(chat.c.id.in_(select(ranked.c.id).where(ranked.c.age > keep))))


async def recent(conn: AsyncConnection, room_id: str, limit: int) -> list[ChatEntry]:
    rows = await conn.execute(
        select(chat).where(chat.c.room_id == room_id).order_by(chat.c.seq.desc()).limit(limit)
    )
    return [ChatEntry(r.room_id, r.seq, r.session_id, r.username, r.text, r.at) for r in reversed(rows.all())]


async def forget(conn: AsyncConnection, room_id: str) -> None:
    await conn.execute(delete(chat).where(chat.c.room_id == room_id))
