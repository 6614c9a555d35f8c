"""Queries on rooms' recent chat. Each runs in a transaction the caller owns."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
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


async def write(conn: AsyncConnection, entries: Sequence[ChatEntry], keep: int) -> None:
    """Add lines, then drop each touched room's lines beyond the newest ``keep``."""
    if not entries:
        return
    await conn.execute(insert(chat), [dataclasses.asdict(e) for e in entries])
    for room_id in {e.room_id for e in entries}:
        oldest_kept = (
            select(chat.c.seq)
            .where(chat.c.room_id == room_id)
            .order_by(chat.c.seq.desc())
            .offset(keep - 1)
            .limit(1)
            .scalar_subquery()
        )
        await conn.execute(delete(chat).where(chat.c.room_id == room_id, chat.c.seq < oldest_kept))


async def recent(conn: AsyncConnection, room_id: str, limit: int) -> list[ChatEntry]:
    rows = await conn.execute(
        select(chat).where(chat.c.room_id == room_id).order_by(chat.c.seq.desc()).limit(limit)
    )
    return [ChatEntry(r.room_id, r.seq, r.session_id, r.username, r.text, r.at) for r in reversed(rows.all())]


async def forget(conn: AsyncConnection, room_id: str) -> None:
    await conn.execute(delete(chat).where(chat.c.room_id == room_id))
