"""Queries on sessions. Each function runs inside a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.model import Session
from roomservice.store.models import AccountRow, SessionRow
from roomservice.store.sql import Statement

# A revoked session is as good as gone: the query does not find it.
_SESSION = Statement(
    select(
        SessionRow.id, SessionRow.username, SessionRow.created_at, SessionRow.account_id, AccountRow.username
    )
    .select_from(SessionRow)
    .outerjoin(AccountRow, AccountRow.id == SessionRow.account_id)
    .where(SessionRow.id == bindparam("session_id"), SessionRow.revoked_at.is_(None))
)


async def insert_session(conn: AsyncConnection, session: Session) -> None:
    """Save a new session (a guest's, or one of ``session.account_id``), seen now (at its
    ``created_at``)."""
    await conn.execute(
        insert(SessionRow).values(
            id=session.session_id,
            username=session.username,
            created_at=session.created_at,
            last_seen=session.created_at,
            account_id=session.account_id,
        )
    )


async def get_session(conn: AsyncConnection, session_id: str) -> Session | None:
    """The session with its account, or None when it does not exist or was revoked."""
    row = await _SESSION.first(conn, session_id=session_id)
    return None if row is None else Session(row[0], row[1], row[2], row[3], row[4])


async def rename(conn: AsyncConnection, session_id: str, username: str, now: float) -> None:
    """Give a session a new username, and mark it seen at ``now``."""
    await conn.execute(
        update(SessionRow).where(SessionRow.id == session_id).values(username=username, last_seen=now)
    )


async def revoke(conn: AsyncConnection, session_ids: Sequence[str], now: float) -> None:
    """Refuse these sessions' tokens from now on. Their rows stay: seats and results still name them."""
    if session_ids:
        await conn.execute(
            update(SessionRow)
            .where(SessionRow.id.in_(list(session_ids)), SessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
