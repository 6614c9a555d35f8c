"""Guest sessions: a validated username and a signed token that names the session."""

from __future__ import annotations

import dataclasses
import re
import uuid

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert, select, update

from roomservice.errors import Invalid, Unauthorized
from roomservice.store.database import Database
from roomservice.store.models import SessionRow
from roomservice.types import Clock, wall_clock

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


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    username: str
    created_at: float

    def to_dict(self) -> dict[str, object]:
        return {"session_id": self.session_id, "username": self.username}


class TokenSigner:
    """Signs session ids; a token carries its issue time and expires after ``max_age`` seconds."""

    def __init__(self, secret: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="roomservice.session")
        self.max_age = max_age

    def sign(self, session_id: str) -> str:
        return self._serializer.dumps(session_id)

    def unsign(self, token: str) -> str:
        try:
            value = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise Unauthorized("session_expired", "The session has expired; start a new one.") from None
        except BadSignature:
            raise Unauthorized("invalid_token", "The session token is not valid.") from None
        if not isinstance(value, str):
            raise Unauthorized("invalid_token", "The session token is not valid.")
        return value


class SessionService:
    def __init__(self, db: Database, signer: TokenSigner, clock: Clock = wall_clock) -> None:
        self.db = db
        self.signer = signer
        self.clock = clock

    async def create(self, username: object) -> tuple[Session, str]:
        """A new session and its token."""
        name = validate_username(username)
        now = self.clock()
        session = Session(str(uuid.uuid4()), name, now)
        async with self.db.write() as conn:
            await conn.execute(
                insert(SessionRow).values(id=session.session_id, username=name, created_at=now, last_seen=now)
            )
        return session, self.signer.sign(session.session_id)

    async def authenticate(self, token: str | None) -> Session:
        """The session a token names; ``unauthorized``/``invalid_token``/``session_expired`` (401)."""
        if not token:
            raise Unauthorized("unauthorized", "No session: create one with POST /api/session.")
        session_id = self.signer.unsign(token)
        async with self.db.read() as conn:
            row = (await conn.execute(select(SessionRow).where(SessionRow.id == session_id))).first()
        if row is None:
            raise Unauthorized("invalid_token", "The session no longer exists.")
        return Session(row.id, row.username, row.created_at)

    async def rename(self, session: Session, username: object) -> Session:
        name = validate_username(username)
        async with self.db.write() as conn:
            await conn.execute(
                update(SessionRow)
                .where(SessionRow.id == session.session_id)
                .values(username=name, last_seen=self.clock())
            )
        return dataclasses.replace(session, username=name)
