"""Queries on accounts and the sessions that belong to them. Each function runs inside a transaction
the caller owns. Usernames are compared by ``lower()``, the expression the unique index is on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.model import Account
from roomservice.store.models import AccountRow, SessionRow


async def insert_account(conn: AsyncConnection, account: Account, password_hash: str) -> None:
    """Save a new account; raises ``IntegrityError`` when its username is taken (in any case)."""
    await conn.execute(
        insert(AccountRow).values(
            id=account.account_id,
            username=account.username,
            password_hash=password_hash,
            created_at=account.created_at,
        )
    )


async def username_taken(conn: AsyncConnection, username: str) -> bool:
    found = await conn.execute(
        select(AccountRow.id).where(func.lower(AccountRow.username) == username.lower()).limit(1)
    )
    return found.first() is not None


async def find_by_username(conn: AsyncConnection, username: str) -> tuple[Account, str] | None:
    """The account named ``username`` (any case) and its password hash."""
    row = (
        await conn.execute(
            select(AccountRow.id, AccountRow.username, AccountRow.created_at, AccountRow.password_hash).where(
                func.lower(AccountRow.username) == username.lower()
            )
        )
    ).first()
    return None if row is None else (Account(row[0], row[1], row[2]), row[3])


async def account_named(conn: AsyncConnection, username: str) -> Account | None:
    """The account named ``username`` in any case (its stored spelling in ``Account.username``)."""
    found = await find_by_username(conn, username)
    return None if found is None else found[0]


async def accounts_by_id(conn: AsyncConnection, account_ids: Sequence[str]) -> dict[str, Account]:
    """The accounts among ``account_ids`` that exist, by id."""
    if not account_ids:
        return {}
    rows = await conn.execute(
        select(AccountRow.id, AccountRow.username, AccountRow.created_at).where(
            AccountRow.id.in_(list(account_ids))
        )
    )
    return {row[0]: Account(row[0], row[1], row[2]) for row in rows}


async def get_account(conn: AsyncConnection, account_id: str) -> Account | None:
    row = (
        await conn.execute(
            select(AccountRow.id, AccountRow.username, AccountRow.created_at).where(
                AccountRow.id == account_id
            )
        )
    ).first()
    return None if row is None else Account(row[0], row[1], row[2])


async def set_password_hash(conn: AsyncConnection, account_id: str, password_hash: str) -> None:
    await conn.execute(
        update(AccountRow).where(AccountRow.id == account_id).values(password_hash=password_hash)
    )


async def attach_session(conn: AsyncConnection, session_id: str, account_id: str, username: str) -> bool:
    """Make a live guest session the account's, named as the account; False when the session is
    revoked or already belongs to an account (a concurrent sign-up of the same session loses here)."""
    done = await conn.execute(
        update(SessionRow)
        .where(SessionRow.id == session_id, SessionRow.account_id.is_(None), SessionRow.revoked_at.is_(None))
        .values(account_id=account_id, username=username)
    )
    return bool(done.rowcount == 1)


async def live_sessions(conn: AsyncConnection, account_id: str) -> list[str]:
    """The ids of the account's sessions that are not revoked, oldest first."""
    rows = await conn.execute(
        select(SessionRow.id)
        .where(SessionRow.account_id == account_id, SessionRow.revoked_at.is_(None))
        .order_by(SessionRow.created_at, SessionRow.id)
    )
    return [row[0] for row in rows]


async def sessions_of(conn: AsyncConnection, account_id: str) -> list[str]:
    """Every session the account ever had, revoked or not: what its rooms were created by."""
    rows = await conn.execute(select(SessionRow.id).where(SessionRow.account_id == account_id))
    return [row[0] for row in rows]
