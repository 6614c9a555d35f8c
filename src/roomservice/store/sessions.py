"""Queries on sessions. Each function runs inside a transaction the caller owns."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.model import Session
from roomservice.store.models import SessionRow
from roomservice.store.sql import Statement

_SESSION = Statement(
    select(SessionRow.id, SessionRow.username, SessionRow.created_at).where(
        SessionRow.id == bindparam("session_id")
    )
)


async def insert_session(conn: AsyncConnection, session: Session) -> None:
    """Save a new session, seen now (at its ``created_at``)."""
    await conn.execute(
        insert(SessionRow).values(
            id=session.session_id,
            username=session.username,
            created_at=session.created_at,
            last_seen=session.created_at,
        )
    )


async def get_session(conn: AsyncConnection, session_id: str) -> Session | None:
    row = await _SESSION.first(conn, session_id=session_id)
    return None if row is None else Session(row[0], row[1], row[2])


async def rename(conn: AsyncConnection, session_id: str, username: str, now: float) -> None:
    """Give a session a new username, and mark it seen at ``now``."""
    await conn.execute(
        update(SessionRow).where(SessionRow.id == session_id).values(username=username, last_seen=now)
    )
