"""Join and leave as one PostgreSQL statement each: one round trip instead of BEGIN, a locked read of
the room, its seats, the session's seat, the writes and COMMIT.

Each statement does the common case only and says whether it did; anything else (a refusal, a
password, a room to delete, a lost race) is left to the multi-statement operation in ``rooms.service``,
which decides it as before. So a statement here never has to produce an error of its own.

**Why the version check.** A statement sees the database as it was when it started, except the row it
locks with ``FOR UPDATE``: after waiting for that lock it gets the row's newest version. The seats are
read from the statement's start, so after a wait they could be out of date (a seat taken meanwhile).
Every change to a room's seats also updates its row in the same transaction, so the room row's
``xmin`` as locked equals the one seen at the start exactly when nothing changed the seats in between.
When they differ, the statement writes nothing and answers ``fresh = false``; the caller runs it again
(a new start sees the other transaction's changes).

**Durability.** A join or a leave commits without waiting for its WAL record to be flushed to disk
(``synchronous_commit`` off for that one transaction, ``set_config(..., true)``): a flush costs more
than the whole statement. Consistency is unchanged. A crash of PostgreSQL itself, or of its machine,
can undo the joins and leaves of its last moments (at most about three ``wal_writer_delay``, 0.6 s by
default) — never one that a later synchronous commit (a room created, a game started, an action
logged) depends on, since that commit flushes the log up to itself. SQLite's
``synchronous=NORMAL`` makes the same kind of trade for every transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import asyncpg

from roomservice.model import Member, Room
from roomservice.store.database import Database
from roomservice.store.rooms import room_from_row, seat_from_row
from roomservice.types import Role

#: The room columns every statement returns, in the order ``room_from_row`` reads them; then the
#: seats' columns in the order ``seat_from_row`` reads them (NULL when the room has no seats).
_COLUMNS = """
    l.id, l.code, l.name, l.game, l.password_hash, l.private, l.config, l.state, l.host_session_id,
    l.creator_session_id, l.created_at, l.last_activity, l.game_started_at,
    (SELECT g.id FROM games g WHERE g.room_id = l.id
        AND g.game_no = (SELECT max(n.game_no) FROM games n WHERE n.room_id = l.id)) AS last_game_id,
    seats.session_id, seats.username, seats.role, seats.seat, seats.joined_at, seats.room_id, seats.bot
"""

#: The room, locked, as it is now; the same row as this statement first saw it; its seats as then.
#: ``durability``: this statement's commit does not wait for its WAL record to reach the disk (see
#: the module's docstring).
_READ = """
    durability AS (SELECT set_config('synchronous_commit', 'off', true) AS mode),
    locked AS (
        SELECT r.*, r.xmin::text AS version FROM rooms r WHERE r.code = $1::varchar FOR UPDATE
    ),
    seen AS (SELECT r.xmin::text AS version FROM rooms r WHERE r.code = $1::varchar),
    seats AS (
        SELECT m.session_id, s.username, m.role, m.seat, m.joined_at, m.room_id, m.bot
        FROM room_members m JOIN sessions s ON s.id = m.session_id
        WHERE m.room_id = (SELECT id FROM locked)
    )
"""

#: $1 code, $2 session id, $3 role, $4 now, $5 the password hash already verified (or NULL).
#: Seats ``$2`` when the room is as first seen, the session sits nowhere, the password is none or
#: verified, and the role fits: a player needs a free seat in a room not in a game, a spectator a room
#: that allows spectators. The first player of an empty kept room becomes its host.
JOIN = f"""
WITH {_READ},
    me AS (
        SELECT s.username, m.room_id FROM sessions s LEFT JOIN room_members m ON m.session_id = s.id
        WHERE s.id = $2::varchar
    ),
    players AS (SELECT count(*) AS n FROM seats WHERE role = 'player'),
    ok AS (
        SELECT l.id FROM locked l, seen, me, players
        WHERE seen.version = l.version
          AND me.room_id IS NULL
          AND (l.password_hash IS NULL OR l.password_hash = $5::varchar)
          AND CASE WHEN $3::varchar = 'player'
              THEN l.state <> 'IN_GAME' AND players.n < (l.config->>'max_players')::int
              ELSE coalesce((l.config->>'allow_spectators')::boolean, false) END
    ),
    seated AS (
        INSERT INTO room_members (session_id, room_id, role, seat, joined_at, bot)
        SELECT $2::varchar, ok.id, $3::varchar, coalesce((SELECT max(seat) FROM seats), 0) + 1,
            $4::float8, false
        FROM ok
        RETURNING session_id
    ),
    saved AS (
        UPDATE rooms SET
            player_count = (SELECT n FROM players) + CASE WHEN $3::varchar = 'player' THEN 1 ELSE 0 END,
            last_activity = $4::float8,
            host_session_id = CASE WHEN host_session_id IS NULL AND $3::varchar = 'player'
                THEN $2::varchar ELSE host_session_id END
        WHERE id = (SELECT id FROM ok)
        RETURNING id
    )
SELECT (SELECT count(*) FROM seated) + (SELECT count(*) FROM saved) = 2 AS done,
    seen.version IS NOT DISTINCT FROM l.version AS fresh, (SELECT username FROM me) AS username,
    {_COLUMNS}
FROM locked l CROSS JOIN durability LEFT JOIN seen ON true LEFT JOIN seats ON true
ORDER BY seats.seat
"""

#: $1 code, $2 session id, $3 now. Unseats ``$2`` (not a bot) when the room is as first seen and
#: stays open: someone else is still seated as a person, or the leaver is a spectator, or the room is
#: kept when empty. The host's leaving passes the room to the longest-seated remaining person.
LEAVE = f"""
WITH {_READ},
    me AS (SELECT role FROM seats WHERE session_id = $2::varchar AND NOT bot),
    heir AS (
        SELECT session_id FROM seats
        WHERE role = 'player' AND NOT bot AND session_id <> $2::varchar
        ORDER BY seat LIMIT 1
    ),
    ok AS (
        SELECT l.id, me.role FROM locked l, seen, me
        WHERE seen.version = l.version
          AND (me.role <> 'player' OR EXISTS (SELECT 1 FROM heir)
               OR coalesce((l.config->>'keep_when_empty')::boolean, false))
    ),
    gone AS (
        DELETE FROM room_members
        WHERE session_id = $2::varchar AND room_id = (SELECT id FROM ok)
        RETURNING session_id
    ),
    saved AS (
        UPDATE rooms SET
            player_count = (SELECT count(*) FROM seats WHERE role = 'player')
                - CASE WHEN (SELECT role FROM ok) = 'player' THEN 1 ELSE 0 END,
            last_activity = $3::float8,
            host_session_id = CASE WHEN host_session_id = $2::varchar
                THEN (SELECT session_id FROM heir) ELSE host_session_id END
        WHERE id = (SELECT id FROM ok)
        RETURNING id
    )
SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM saved) = 2 AS done,
    seen.version IS NOT DISTINCT FROM l.version AS fresh, NULL AS username,
    {_COLUMNS}
FROM locked l CROSS JOIN durability LEFT JOIN seen ON true LEFT JOIN seats ON true
ORDER BY seats.seat
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What a statement found and did. ``room`` is the room as it was before the statement's writes
    (its seats included); ``username`` the joining session's stored name."""

    done: bool
    fresh: bool
    room: Room
    username: str | None


#: Errors after which a statement leaves the work to the transaction: a seat taken under it (a unique
#: or foreign key violation), or its connection lost (the transaction gets another from the pool; if
#: the lost statement had committed, the transaction finds the seat taken, or given up, and answers
#: as for a repeated request).
_LEAVE_TO_TRANSACTION = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


class OneShot:
    """The statements on one PostgreSQL database. Those for the same room from this process run one
    at a time (an ``asyncio.Lock`` per room code, dropped when nobody holds or waits for it): queued
    on the row lock in PostgreSQL instead, each would hold a connection while it waits and then find
    the room changed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._turns: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    async def join(
        self, code: str, session_id: str, role: str, now: float, verified: str | None
    ) -> Outcome | None:
        """Run :data:`JOIN`. None: no such room, or an error after which the transaction decides."""
        return await self._run(code, JOIN, code, session_id, role, now, verified)

    async def leave(self, code: str, session_id: str, now: float) -> Outcome | None:
        """Run :data:`LEAVE`. None: no such room, or an error after which the transaction decides."""
        return await self._run(code, LEAVE, code, session_id, now)

    async def _run(self, code: str, sql: str, *args: Any) -> Outcome | None:
        lock, users = self._turns.setdefault(code, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock, self.db.direct() as conn:
                rows = await conn.fetch(sql, *args)
        except _LEAVE_TO_TRANSACTION:
            return None
        finally:
            users[0] -= 1
            if not users[0]:
                del self._turns[code]
        if not rows:
            return None  # no such room (or deleted meanwhile)
        first = rows[0]
        seats = [seat_from_row(tuple(row)[17:]) for row in rows if row[17] is not None]
        room = room_from_row(tuple(first)[3:17], seats)
        return Outcome(bool(first[0]), bool(first[1]), room, first[2])


def seated_member(outcome: Outcome, session_id: str, role: Role, now: float) -> Member:
    """The seat a done join created: the next seat number after the room's seats, as the statement
    numbered it."""
    seat = max((m.seat for m in outcome.room.members), default=0) + 1
    return Member(session_id, outcome.username or "", role, seat, now)
