"""Accounts: a username and password that a guest session turns into, and logs in with elsewhere.

An account is a row with an Argon2id hash; its sessions are ordinary sessions whose ``account_id`` is
set, so everything that takes a session keeps working. Hashing and verifying take tens of
milliseconds of CPU on purpose, so they run on a worker thread, never on the event loop. A log-in with
an unknown username verifies the password against a dummy hash, so it takes as long as a wrong
password and answers the same. Throttling wrong passwords is the caller's (``web.ratelimit``): it
knows the caller's address.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from roomservice.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from roomservice.model import Account, Session
from roomservice.sessions import SessionService
from roomservice.store import accounts as repo
from roomservice.store import sessions as sessions_repo
from roomservice.store.database import Database
from roomservice.types import Clock, wall_clock

__all__ = [
    "ACCOUNT_USERNAME_RULE",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "Account",
    "AccountService",
    "InvalidCredentials",
    "account_required",
    "require_account",
    "validate_account_username",
    "validate_password",
]

PASSWORD_MIN = 8
PASSWORD_MAX = 128
ACCOUNT_USERNAME_RULE = "An account's username is 3–24 characters: letters A–Z, digits, '_' and '-'."
_ACCOUNT_USERNAME = re.compile(r"[A-Za-z0-9_-]{3,24}")


class InvalidCredentials(Unauthorized):
    """401 ``invalid_credentials``: the same answer for a wrong password and an unknown username."""

    def __init__(self) -> None:
        super().__init__("invalid_credentials", "Wrong username or password.")


def validate_account_username(raw: object) -> str:
    """Trim and check; 422 ``invalid_username`` saying what is allowed."""
    name = raw.strip() if isinstance(raw, str) else ""
    if not _ACCOUNT_USERNAME.fullmatch(name):
        raise Invalid("invalid_username", ACCOUNT_USERNAME_RULE)
    return name


def validate_password(raw: object) -> str:
    """A password is any 8–128 characters (kept as typed, spaces included); 422 ``invalid_password``."""
    if not isinstance(raw, str) or not PASSWORD_MIN <= len(raw) <= PASSWORD_MAX:
        raise Invalid("invalid_password", f"A password is {PASSWORD_MIN}–{PASSWORD_MAX} characters.")
    return raw


def account_required() -> Forbidden:
    """403 ``account_required``: what a guest session gets where only an account may act."""
    return Forbidden("account_required", "Only an account can do that: sign up or log in first.")


def require_account(session: Session) -> str:
    """The session's account id; 403 ``account_required`` for a guest."""
    if session.account_id is None:
        raise account_required()
    return session.account_id


def _taken(username: str) -> Conflict:
    return Conflict("username_taken", f"The username {username!r} is taken.")


class AccountService:
    def __init__(
        self,
        db: Database,
        sessions: SessionService,
        clock: Clock = wall_clock,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.db = db
        self.sessions = sessions
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def _verify(self, hashed: str, password: str) -> bool:
        def check() -> bool:
            try:
                return bool(self.hasher.verify(hashed, password))
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    async def sign_up(self, session: Session, username: object, password: object) -> tuple[Account, Session]:
        """Turn a guest session into a new account, named ``username``; the session takes the
        account's username. 409 ``already_signed_in`` for an account's session, 409
        ``username_taken`` (whatever its case), 422 ``invalid_username`` / ``invalid_password``."""
        if session.account_id is not None:
            raise Conflict("already_signed_in", "This session belongs to an account already; log out first.")
        name = validate_account_username(username)
        secret = validate_password(password)
        async with self.db.read() as conn:
            taken = await repo.username_taken(conn, name)
        if taken:  # spares the hash; the unique index decides a race
            raise _taken(name)
        hashed = await self._hash(secret)
        account = Account(str(uuid.uuid4()), name, self.clock())
        try:
            async with self.db.write() as conn:
                await repo.insert_account(conn, account, hashed)
                if not await repo.attach_session(conn, session.session_id, account.account_id, name):
                    raise Conflict(
                        "already_signed_in", "This session belongs to an account already; log out first."
                    )
        except IntegrityError:
            raise _taken(name) from None
        joined = replace(session, username=name, account_id=account.account_id, account_username=name)
        self.sessions.changed(joined)
        return account, joined

    async def log_in(self, username: object, password: object) -> tuple[Account, Session, str]:
        """A new session of the account and its token; 401 ``invalid_credentials`` for a wrong
        password or an unknown username alike (after the same work)."""
        name = username.strip() if isinstance(username, str) else ""
        secret = password if isinstance(password, str) else ""
        found = None
        if _ACCOUNT_USERNAME.fullmatch(name) and len(secret) <= PASSWORD_MAX:
            async with self.db.read() as conn:
                found = await repo.find_by_username(conn, name)
        if found is None:
            await self._verify(await self._dummy_hash(), secret[:PASSWORD_MAX])
            raise InvalidCredentials()
        account, hashed = found
        if not await self._verify(hashed, secret):
            raise InvalidCredentials()
        if self.hasher.check_needs_rehash(hashed):  # the hasher's cost was raised since
            rehashed = await self._hash(secret)
            async with self.db.write() as conn:
                await repo.set_password_hash(conn, account.account_id, rehashed)
        session, token = await self.sessions.issue(account.account_id, account.username)
        return account, session, token

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self._hash(secrets.token_urlsafe(16))
        return self._dummy

    async def named(self, username: object) -> Account:
        """The account named ``username`` (any case); 404 ``account_not_found``."""
        async with self.db.read() as conn:
            account = await repo.account_named(conn, username.strip()) if isinstance(username, str) else None
        if account is None:
            raise NotFound("account_not_found", f"No account is named {username!r}.")
        return account

    async def log_out(self, session: Session) -> None:
        """End ``session``: its token is refused from now on."""
        await self.sessions.revoke([session.session_id])

    async def get(self, session: Session) -> tuple[Account, int]:
        """The session's account and how many sessions it has signed in; 403 ``account_required``."""
        account_id = require_account(session)
        async with self.db.read() as conn:
            account = await repo.get_account(conn, account_id)
            live = await repo.live_sessions(conn, account_id)
        if account is None:  # an account is never deleted while its sessions live
            raise Unauthorized("invalid_token", "The session has ended; log in or start a new one.")
        return account, len(live)

    async def sign_out_others(self, session: Session) -> list[str]:
        """Revoke every other session of the account; their ids (for their sockets to be closed)."""
        account_id = require_account(session)
        async with self.db.write() as conn:
            live = await repo.live_sessions(conn, account_id)
            others = [s for s in live if s != session.session_id]
            await sessions_repo.revoke(conn, others, self.clock())
        self.sessions.forget(others)
        return others
