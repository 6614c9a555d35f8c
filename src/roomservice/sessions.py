"""Guest sessions: a validated username and a signed token that names the session."""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from roomservice.errors import Invalid, Unauthorized
from roomservice.model import Session
from roomservice.store import sessions as repo
from roomservice.store.database import Database
from roomservice.types import Clock, wall_clock

__all__ = ["USERNAME_RULE", "Session", "SessionService", "TokenSigner", "validate_username"]

USERNAME_RULE = "Usernames are 1–24 characters: letters A–Z, digits, spaces, '_' and '-'."
_USERNAME = re.compile(r"[A-Za-z0-9 _-]{1,24}")


def validate_username(raw: object) -> str:
    """Trim and check a username; raise ``invalid_username`` (422) saying what is allowed."""
    if not isinstance(raw, str):
        raise Invalid("invalid_username", USERNAME_RULE)
    name = raw.strip()
    if not _USERNAME.fullmatch(name):
        raise Invalid("invalid_username", USERNAME_RULE)
    return name


#: Verified tokens (and cached sessions) kept at most; the oldest go first.
_CACHE_MAX = 100_000


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    cache.pop(key, None)
    if len(cache) >= _CACHE_MAX:
        del cache[next(iter(cache))]
    cache[key] = value


class TokenSigner:
    """Signs session ids; a token carries its issue time and expires after ``max_age`` seconds.

    A token's signature is checked once: the tokens seen are remembered with their issue time, and
    only their age is checked again (a token's signature cannot change)."""

    def __init__(self, secret: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="roomservice.session")
        self.max_age = max_age
        self._verified: dict[str, tuple[str, int]] = {}

    def sign(self, session_id: str) -> str:
        return self._serializer.dumps(session_id)

    def unsign(self, token: str) -> str:
        known = self._verified.get(token)
        if known is not None and 0 <= int(time.time()) - known[1] <= self.max_age:
            return known[0]
        try:
            value, signed_at = self._serializer.loads(token, max_age=self.max_age, return_timestamp=True)
        except SignatureExpired:
            self._verified.pop(token, None)
            raise Unauthorized("session_expired", "The session has expired; start a new one.") from None
        except BadSignature:
            raise Unauthorized("invalid_token", "The session token is not valid.") from None
        if not isinstance(value, str):
            raise Unauthorized("invalid_token", "The session token is not valid.")
        _remember(self._verified, token, (value, int(signed_at.timestamp())))
        return value


#: Seconds a session read from the database is used without reading it again. Sessions are never
#: deleted, and a rename or a revocation through this process updates the copy at once; one written
#: to the database by another process shows here within this time.
SESSION_CACHE_TTL = 5.0


class SessionService:
    """Sessions, and an in-process copy of those recently seen so requests need no database read to
    know who is calling (see ``SESSION_CACHE_TTL``)."""

    def __init__(
        self,
        db: Database,
        signer: TokenSigner,
        clock: Clock = wall_clock,
        cache_ttl: float = SESSION_CACHE_TTL,
    ) -> None:
        self.db = db
        self.signer = signer
        self.clock = clock
        self.cache_ttl = cache_ttl
        self._cache: dict[str, tuple[Session, float]] = {}
        #: Sessions revoked by this process: a read that began before the revocation must not put
        #: one back into the cache.
        self._revoked: dict[str, None] = {}

    def _keep(self, session: Session) -> None:
        if session.session_id not in self._revoked:
            _remember(self._cache, session.session_id, (session, time.monotonic() + self.cache_ttl))

    async def create(self, username: object) -> tuple[Session, str]:
        """A new session and its token."""
        name = validate_username(username)
        now = self.clock()
        session = Session(str(uuid.uuid4()), name, now)
        async with self.db.write() as conn:
            await repo.insert_session(conn, session)
        self._keep(session)
        return session, self.signer.sign(session.session_id)

    async def issue(self, account_id: str, username: str) -> tuple[Session, str]:
        """A new session of an account (a log-in on another device), named as the account, and its
        token."""
        session = Session(str(uuid.uuid4()), username, self.clock(), account_id, username)
        async with self.db.write() as conn:
            await repo.insert_session(conn, session)
        self._keep(session)
        return session, self.signer.sign(session.session_id)

    def changed(self, session: Session) -> None:
        """``session`` was changed in the database (it joined an account): requests see it at once."""
        self._keep(session)

    async def revoke(self, session_ids: list[str]) -> None:
        """Refuse these sessions' tokens from now on: 401 on the very next request to this process."""
        async with self.db.write() as conn:
            await repo.revoke(conn, session_ids, self.clock())
        self.forget(session_ids)

    def forget(self, session_ids: list[str]) -> None:
        """These sessions were revoked in the database: refuse their tokens here at once."""
        for session_id in session_ids:
            _remember(self._revoked, session_id, None)
            self._cache.pop(session_id, None)

    async def authenticate(self, token: str | None) -> Session:
        """The session a token names; ``unauthorized``/``invalid_token``/``session_expired`` (401)."""
        if not token:
            raise Unauthorized("unauthorized", "No session: create one with POST /api/session.")
        session_id = self.signer.unsign(token)
        cached = self._cache.get(session_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        async with self.db.read() as conn:
            session = await repo.get_session(conn, session_id)
        if session is None or session_id in self._revoked:
            raise Unauthorized("invalid_token", "The session has ended; log in or start a new one.")
        self._keep(session)
        return session

    async def rename(self, session: Session, username: object) -> Session:
        name = validate_username(username)
        async with self.db.write() as conn:
            await repo.rename(conn, session.session_id, name, self.clock())
        renamed = dataclasses.replace(session, username=name)
        self._keep(renamed)
        return renamed
