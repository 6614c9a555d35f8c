"""Queries on rooms and seats. Each function runs inside a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import msgspec
from sqlalchemy import (
    ARRAY,
    Boolean,
    Float,
    Integer,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roomservice.model import Member, Room, Session
from roomservice.protocol.rooms import RoomConfig
from roomservice.store import chat
from roomservice.store.models import AccountRow, GameRow, MemberRow, RoomRow, SessionRow
from roomservice.store.sessions import insert_session
from roomservice.store.sql import Statement
from roomservice.types import Role, RoomState

rooms = cast(Table, RoomRow.__table__)
members = cast(Table, MemberRow.__table__)
sessions = cast(Table, SessionRow.__table__)
accounts = cast(Table, AccountRow.__table__)
games = cast(Table, GameRow.__table__)

#: The room's newest game, read with the room rather than kept in a column of its own: one lookup on
#: the ``(room_id, game_no)`` unique index, and nothing to keep in step when a game starts.
_NEWEST_GAME_NO = (
    select(func.max(games.c.game_no)).where(games.c.room_id == rooms.c.id).correlate(rooms).scalar_subquery()
)
_LAST_GAME_ID = (
    select(games.c.id)
    .where(games.c.room_id == rooms.c.id, games.c.game_no == _NEWEST_GAME_NO)
    .correlate(rooms)
    .scalar_subquery()
    .label("last_game_id")
)

#: A room row's columns, in the order ``_room`` reads them.
_ROOM = (
    rooms.c.id,
    rooms.c.code,
    rooms.c.name,
    rooms.c.game,
    rooms.c.password_hash,
    rooms.c.private,
    rooms.c.config,
    rooms.c.state,
    rooms.c.host_session_id,
    rooms.c.creator_session_id,
    rooms.c.created_at,
    rooms.c.last_activity,
    rooms.c.game_started_at,
    _LAST_GAME_ID,
)
#: A seat's columns, in the order ``_member`` reads them (room id, then the bot flag, last).
_SEAT = (
    members.c.session_id,
    sessions.c.username,
    members.c.role,
    members.c.seat,
    members.c.joined_at,
    members.c.room_id,
    members.c.bot,
)


def _room(row: Sequence[Any], seats: Sequence[Member]) -> Room:
    return Room(
        room_id=row[0],
        room_code=row[1],
        name=row[2],
        game=row[3],
        has_password=row[4] is not None,
        private=row[5],
        config=RoomConfig(**row[6]),
        state=RoomState(row[7]),
        host_session_id=row[8],
        creator_session_id=row[9],
        created_at=row[10],
        last_activity=row[11],
        game_started_at=row[12],
        members=tuple(seats),
        last_game_id=row[13],
    )


def _member(row: Sequence[Any]) -> Member:
    return Member(row[0], row[1], Role(row[2]), row[3], row[4], bool(row[6]))


#: The same, for statements written out in SQL (``store.oneshot``) that return these columns.
room_from_row = _room
seat_from_row = _member


def _seats_query() -> Select[Any]:
    return select(*_SEAT).join(sessions, sessions.c.id == members.c.session_id)


def _room_query(key: ColumnElement[Any], *, lock: bool) -> Statement:
    query = select(*_ROOM).where(key == bindparam("key"))
    return Statement(query.with_for_update() if lock else query)


_ROOM_BY = {
    (by, lock): _room_query(rooms.c.code if by == "code" else rooms.c.id, lock=lock)
    for by in ("code", "id")
    for lock in (False, True)
}
_SEATS_OF_ROOM = Statement(
    _seats_query().where(members.c.room_id == bindparam("room_id")).order_by(members.c.seat)
)
_SEAT_OF_SESSION = Statement(
    select(sessions.c.username, members.c.room_id)
    .select_from(sessions.outerjoin(members, members.c.session_id == sessions.c.id))
    .where(sessions.c.id == bindparam("session_id"))
)
_IN_GAME = (
    select(members.c.session_id)
    .join(rooms, rooms.c.id == members.c.room_id)
    .where(members.c.session_id.in_(bindparam("ids", expanding=True)), rooms.c.state == bindparam("state"))
)


def _json_ids(name: str) -> Any:
    """SQLite: the values of one JSON array parameter (``json_each``), so a statement over many ids has
    one text whatever their count and runs as a :class:`Statement` on the sqlite3 connection (an
    expanding IN goes through SQLAlchemy, several times the CPU; and is limited to 500 values a query)."""
    return select(func.json_each(bindparam(name, type_=String())).table_valued("value").c.value)


#: ``_IN_GAME`` and ``_SEATS_OF_SESSIONS_PG`` on SQLite: the ids as one JSON array.
_IN_GAME_SQLITE = Statement(
    select(members.c.session_id)
    .join(rooms, rooms.c.id == members.c.room_id)
    .where(members.c.session_id.in_(_json_ids("ids")), rooms.c.state == bindparam("state"))
)
_SEATS_OF_SESSIONS_SQLITE = Statement(
    select(sessions.c.id, sessions.c.username, members.c.room_id)
    .select_from(sessions.outerjoin(members, members.c.session_id == sessions.c.id))
    .where(sessions.c.id.in_(_json_ids("ids")))
)
_json_array = msgspec.json.Encoder()
# PostgreSQL: the sessions' seats with one array parameter (``= ANY``), so the statement's text, and
# the prepared statement asyncpg keeps for it, is the same however many values it is given (an
# expanding IN is a new text, and a new prepare round trip, for each count).
_ID_ARRAY = ARRAY(String())
_SEATS_OF_SESSIONS_PG = (
    select(sessions.c.id, sessions.c.username, members.c.room_id)
    .select_from(sessions.outerjoin(members, members.c.session_id == sessions.c.id))
    .where(sessions.c.id == any_(bindparam("ids", type_=_ID_ARRAY)))
)
#: The same, and this transaction's commit does not wait for its WAL record to reach the disk
#: (``set_config(..., true)``): one statement, not a round trip of its own. The durability row comes
#: first, with no session id (an Append runs both parts whatever the second finds).
_SEATS_OF_SESSIONS_PG_ASYNC = union_all(
    select(null(), func.set_config("synchronous_commit", "off", true()), null()), _SEATS_OF_SESSIONS_PG
)
_CODE_TAKEN = Statement(select(rooms.c.id).where(rooms.c.code == bindparam("code")))
_ADD_MEMBER = Statement(
    insert(members).values(
        session_id=bindparam("p_session_id"),
        room_id=bindparam("p_room_id"),
        role=bindparam("p_role"),
        seat=bindparam("p_seat"),
        joined_at=bindparam("p_joined_at"),
        bot=bindparam("p_bot"),
    )
)
_INSERT_ROOM = Statement(
    insert(rooms).values(
        id=bindparam("room_id"),
        code=bindparam("p_code"),
        name=bindparam("p_name"),
        game=bindparam("p_game"),
        password_hash=bindparam("p_password_hash"),
        private=bindparam("p_private"),
        config=bindparam("p_config", type_=rooms.c.config.type),
        capacity=bindparam("p_capacity"),
        idle_timeout=bindparam("p_idle_timeout"),
        player_count=bindparam("p_player_count"),
        state=bindparam("p_state"),
        host_session_id=bindparam("p_host_session_id"),
        creator_session_id=bindparam("p_creator_session_id"),
        created_at=bindparam("p_created_at"),
        last_activity=bindparam("p_last_activity"),
        game_started_at=bindparam("p_game_started_at"),
    )
)
#: PostgreSQL: many rows in one statement, one array a column, in place of one execution a row (the
#: matchmaker seats hundreds of players a round): the same rows, a fraction of the database's work.
_ADD_MEMBERS_PG = text(
    "INSERT INTO room_members (session_id, room_id, role, seat, joined_at, bot) "
    "SELECT * FROM unnest(:session_ids, :room_ids, :roles, :seats, :joined_at, :bots)"
).bindparams(
    bindparam("session_ids", type_=_ID_ARRAY),
    bindparam("room_ids", type_=_ID_ARRAY),
    bindparam("roles", type_=ARRAY(String())),
    bindparam("seats", type_=ARRAY(Integer())),
    bindparam("joined_at", type_=ARRAY(Float())),
    bindparam("bots", type_=ARRAY(Boolean())),
)
_INSERT_ROOMS_PG = text(
    "INSERT INTO rooms (id, code, name, game, password_hash, private, config, capacity, idle_timeout, "
    "player_count, state, host_session_id, creator_session_id, created_at, last_activity, "
    "game_started_at) "
    "SELECT id, code, name, game, NULL, private, CAST(config AS json), capacity, idle_timeout, "
    "player_count, state, host_session_id, creator_session_id, created_at, last_activity, "
    "game_started_at FROM unnest(:ids, :codes, :names, :games, :privates, :configs, :capacities, "
    ":idle_timeouts, :player_counts, :states, :hosts, :creators, :created_at, :last_activity, "
    ":game_started_at) AS t(id, code, name, game, private, config, capacity, idle_timeout, "
    "player_count, state, host_session_id, creator_session_id, created_at, last_activity, "
    "game_started_at)"
).bindparams(
    bindparam("ids", type_=_ID_ARRAY),
    bindparam("codes", type_=ARRAY(String())),
    bindparam("names", type_=ARRAY(String())),
    bindparam("games", type_=ARRAY(String())),
    bindparam("privates", type_=ARRAY(Boolean())),
    bindparam("configs", type_=ARRAY(String())),
    bindparam("capacities", type_=ARRAY(Integer())),
    bindparam("idle_timeouts", type_=ARRAY(Integer())),
    bindparam("player_counts", type_=ARRAY(Integer())),
    bindparam("states", type_=ARRAY(String())),
    bindparam("hosts", type_=_ID_ARRAY),
    bindparam("creators", type_=_ID_ARRAY),
    bindparam("created_at", type_=ARRAY(Float())),
    bindparam("last_activity", type_=ARRAY(Float())),
    bindparam("game_started_at", type_=ARRAY(Float())),
)
_REMOVE_MEMBER = Statement(delete(members).where(members.c.session_id == bindparam("session_id")))
#: A room's mutable fields (not its members); ``capacity``, ``idle_timeout`` and ``player_count``
#: follow from config and membership.
_SAVE_ROOM = Statement(
    update(rooms)
    .where(rooms.c.id == bindparam("room_id"))
    .values(
        config=bindparam("p_config", type_=rooms.c.config.type),
        capacity=bindparam("p_capacity"),
        idle_timeout=bindparam("p_idle_timeout"),
        player_count=bindparam("p_player_count"),
        state=bindparam("p_state"),
        host_session_id=bindparam("p_host_session_id"),
        last_activity=bindparam("p_last_activity"),
        game_started_at=bindparam("p_game_started_at"),
    )
)
#: The session rows of a room's bots: they exist only for their seats.
_DELETE_BOT_SESSIONS = Statement(
    delete(sessions).where(
        sessions.c.id.in_(
            select(members.c.session_id).where(
                members.c.room_id == bindparam("room_id"), members.c.bot.is_(True)
            )
        )
    )
)
_DELETE_SESSION = Statement(delete(sessions).where(sessions.c.id == bindparam("session_id")))
_DELETE_MEMBERS = Statement(delete(members).where(members.c.room_id == bindparam("room_id")))
_DELETE_ROOM = Statement(delete(rooms).where(rooms.c.id == bindparam("room_id")))


async def _members(conn: AsyncConnection, room_ids: Iterable[str]) -> dict[str, list[Member]]:
    ids = list(room_ids)
    out: dict[str, list[Member]] = {rid: [] for rid in ids}
    if not ids:
        return out
    query = _seats_query().where(members.c.room_id.in_(ids)).order_by(members.c.room_id, members.c.seat)
    for row in await conn.execute(query):
        out[row[5]].append(_member(row))
    return out


async def get_room(
    conn: AsyncConnection,
    *,
    code: str | None = None,
    room_id: str | None = None,
    lock: bool = False,
) -> tuple[Room, str | None] | None:
    """The room and its password hash; ``lock`` holds the row until the transaction ends.

    The seats are read by a second statement, after the row is locked: on PostgreSQL a statement that
    waited for the lock would otherwise see the seats as they were before the wait."""
    by = "code" if code is not None else "id"
    row = await _ROOM_BY[by, lock].first(conn, key=code if code is not None else room_id)
    if row is None:
        return None
    seats = await _SEATS_OF_ROOM.rows(conn, room_id=row[0])
    return _room(row, [_member(seat) for seat in seats]), row[4]


async def seat_of(conn: AsyncConnection, session_id: str) -> tuple[str, str | None] | None:
    """A session's username as stored and the id of the room it sits in (None: no seat); None when
    the session does not exist."""
    row = await _SEAT_OF_SESSION.first(conn, session_id=session_id)
    return (row[0], row[1]) if row is not None else None


async def in_game(conn: AsyncConnection, session_ids: Iterable[str]) -> set[str]:
    """Which of ``session_ids`` sit in a room whose game is running (on PostgreSQL one query per 500)."""
    wanted = list(dict.fromkeys(session_ids))
    if conn.dialect.name == "sqlite":
        ids = _json_array.encode(wanted).decode()
        return {row[0] for row in await _IN_GAME_SQLITE.rows(conn, ids=ids, state=RoomState.IN_GAME.value)}
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        params = {"ids": wanted[start : start + 500], "state": RoomState.IN_GAME.value}
        found.update((await conn.execute(_IN_GAME, params)).scalars())
    return found


#: ``in_game`` as one PostgreSQL statement on a connection outside a transaction (``Database.direct``):
#: one round trip.
IN_GAME_SQL = """
    SELECT m.session_id FROM room_members m JOIN rooms r ON r.id = m.room_id
    WHERE m.session_id = ANY($1::varchar[]) AND r.state = $2::varchar
"""


async def room_of_session(conn: AsyncConnection, session_id: str) -> Room | None:
    seat = await seat_of(conn, session_id)
    if seat is None or seat[1] is None:
        return None
    found = await get_room(conn, room_id=seat[1])
    return found[0] if found else None


async def rooms_created_by(
    conn: AsyncConnection, session_id: str, account_id: str | None = None, *, lock: bool = False
) -> list[Room]:
    """The rooms a session created, or, given its ``account_id``, every session of that account.
    With ``lock`` (in a write, before creating a room) the account's row is locked first, so two
    devices of one account creating rooms at once, through any nodes, count one after the other."""
    if lock and account_id is not None:
        await conn.execute(select(accounts.c.id).where(accounts.c.id == account_id).with_for_update())
    creator: ColumnElement[bool] = (
        rooms.c.creator_session_id.in_(select(sessions.c.id).where(sessions.c.account_id == account_id))
        if account_id is not None
        else rooms.c.creator_session_id == session_id
    )
    rows = (await conn.execute(select(*_ROOM).where(creator).order_by(rooms.c.created_at))).all()
    seats = await _members(conn, [r[0] for r in rows])
    return [_room(r, seats[r[0]]) for r in rows]


async def account_of(conn: AsyncConnection, session_id: str) -> str | None:
    """The account a session belongs to (None for a guest's, or an unknown session)."""
    found = await conn.execute(select(sessions.c.account_id).where(sessions.c.id == session_id))
    return found.scalar_one_or_none()


async def code_taken(conn: AsyncConnection, code: str) -> bool:
    return await _CODE_TAKEN.first(conn, code=code) is not None


async def seats_of(
    conn: AsyncConnection, session_ids: Iterable[str], *, async_commit: bool = False
) -> dict[str, tuple[str, str | None]]:
    """``seat_of`` for many sessions in one query: session id -> (username, room id or None); a
    session that does not exist is left out. ``async_commit`` (PostgreSQL; nothing on SQLite): the
    same statement also sets this transaction's ``synchronous_commit`` off."""
    wanted = list(dict.fromkeys(session_ids))
    found: dict[str, tuple[str, str | None]] = {}
    if conn.dialect.name != "sqlite":
        query = _SEATS_OF_SESSIONS_PG_ASYNC if async_commit else _SEATS_OF_SESSIONS_PG
        for row in await conn.execute(query, {"ids": wanted}):
            if row[0] is not None:
                found[row[0]] = (row[1], row[2])
        return found
    rows = await _SEATS_OF_SESSIONS_SQLITE.rows(conn, ids=_json_array.encode(wanted).decode())
    return {session_id: (username, room_id) for session_id, username, room_id in rows}


async def insert_room(conn: AsyncConnection, room: Room, password_hash: str | None) -> None:
    await conn.execute(
        insert(rooms).values(
            id=room.room_id,
            code=room.room_code,
            name=room.name,
            game=room.game,
            password_hash=password_hash,
            private=room.private,
            config=room.config.to_dict(),
            capacity=room.config.max_players,
            idle_timeout=room.config.timeout_seconds,
            player_count=len(room.players),
            state=room.state.value,
            host_session_id=room.host_session_id,
            creator_session_id=room.creator_session_id,
            created_at=room.created_at,
            last_activity=room.last_activity,
            game_started_at=room.game_started_at,
        )
    )


async def insert_rooms(conn: AsyncConnection, new: Sequence[Room]) -> None:
    """Insert many rooms without passwords in one call (``insert_room`` for each, less the round
    trips); their members are added with ``add_members``."""
    if not new:
        return
    if conn.dialect.name == "postgresql":
        # Encoded as the engine encodes a JSON column; match rooms share one config object: once.
        configs: dict[int, str] = {}
        for room in new:
            if id(room.config) not in configs:
                configs[id(room.config)] = msgspec.json.encode(room.config.to_dict()).decode()
        await conn.execute(
            _INSERT_ROOMS_PG,
            {
                "ids": [r.room_id for r in new],
                "codes": [r.room_code for r in new],
                "names": [r.name for r in new],
                "games": [r.game for r in new],
                "privates": [r.private for r in new],
                "configs": [configs[id(r.config)] for r in new],
                "capacities": [r.config.max_players for r in new],
                "idle_timeouts": [r.config.timeout_seconds for r in new],
                "player_counts": [len(r.players) for r in new],
                "states": [r.state.value for r in new],
                "hosts": [r.host_session_id for r in new],
                "creators": [r.creator_session_id for r in new],
                "created_at": [r.created_at for r in new],
                "last_activity": [r.last_activity for r in new],
                "game_started_at": [r.game_started_at for r in new],
            },
        )
        return
    await _INSERT_ROOM.many(conn, [_inserted(room) for room in new])


def _inserted(room: Room) -> dict[str, Any]:
    return {
        **_saved(room),
        "p_code": room.room_code,
        "p_name": room.name,
        "p_game": room.game,
        "p_password_hash": None,
        "p_private": room.private,
        "p_creator_session_id": room.creator_session_id,
        "p_created_at": room.created_at,
    }


async def save_room(conn: AsyncConnection, room: Room) -> None:
    """Write a room's mutable fields (not its members)."""
    await _SAVE_ROOM.run(conn, **_saved(room))


async def save_rooms(conn: AsyncConnection, changed: Sequence[Room]) -> None:
    """``save_room`` for many rooms in one call."""
    if changed:
        await _SAVE_ROOM.many(conn, [_saved(room) for room in changed])


def _saved(room: Room) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "p_config": room.config.to_dict(),
        "p_capacity": room.config.max_players,
        "p_idle_timeout": room.config.timeout_seconds,
        "p_player_count": len(room.players),
        "p_state": room.state.value,
        "p_host_session_id": room.host_session_id,
        "p_last_activity": room.last_activity,
        "p_game_started_at": room.game_started_at,
    }


async def add_member(conn: AsyncConnection, room_id: str, member: Member) -> None:
    await _ADD_MEMBER.run(conn, **_seated(room_id, member))


async def add_members(conn: AsyncConnection, seated: Sequence[tuple[str, Member]]) -> None:
    """``add_member`` for many ``(room id, member)`` in one call."""
    if not seated:
        return
    if conn.dialect.name == "postgresql":
        await conn.execute(
            _ADD_MEMBERS_PG,
            {
                "session_ids": [m.session_id for _, m in seated],
                "room_ids": [room_id for room_id, _ in seated],
                "roles": [m.role.value for _, m in seated],
                "seats": [m.seat for _, m in seated],
                "joined_at": [m.joined_at for _, m in seated],
                "bots": [m.bot for _, m in seated],
            },
        )
        return
    await _ADD_MEMBER.many(conn, [_seated(room_id, member) for room_id, member in seated])


def _seated(room_id: str, member: Member) -> dict[str, Any]:
    return {
        "p_session_id": member.session_id,
        "p_room_id": room_id,
        "p_role": member.role.value,
        "p_seat": member.seat,
        "p_joined_at": member.joined_at,
        "p_bot": member.bot,
    }


async def add_bot(conn: AsyncConnection, room_id: str, member: Member) -> None:
    """Seat a bot: a session row of its own (no token is ever signed for it), then its seat."""
    await insert_session(conn, Session(member.session_id, member.username, member.joined_at))
    await add_member(conn, room_id, member)


async def remove_bot(conn: AsyncConnection, session_id: str) -> None:
    """Unseat a bot; its session goes with its seat."""
    await _REMOVE_MEMBER.run(conn, session_id=session_id)
    await _DELETE_SESSION.run(conn, session_id=session_id)


async def remove_member(conn: AsyncConnection, session_id: str) -> None:
    await _REMOVE_MEMBER.run(conn, session_id=session_id)


async def delete_room(conn: AsyncConnection, room_id: str) -> None:
    await _DELETE_BOT_SESSIONS.run(conn, room_id=room_id)
    await _DELETE_MEMBERS.run(conn, room_id=room_id)
    await chat.forget(conn, room_id)
    await _DELETE_ROOM.run(conn, room_id=room_id)


_TOUCH_ROOM = Statement(
    update(rooms).where(rooms.c.id == bindparam("room_id")).values(last_activity=bindparam("now"))
)


async def touch_rooms(conn: AsyncConnection, room_ids: Iterable[str], now: float) -> None:
    await _TOUCH_ROOM.many(conn, [{"room_id": room_id, "now": now} for room_id in room_ids])


async def expired_room_ids(conn: AsyncConnection, now: float, game_timeout: int) -> list[str]:
    """Rooms idle past their timeout: ``idle_timeout`` while WAITING, ``game_timeout`` otherwise."""
    waiting = rooms.c.state == RoomState.WAITING.value
    query = select(rooms.c.id).where(
        or_(
            and_(waiting, rooms.c.last_activity + rooms.c.idle_timeout < now),
            and_(~waiting, rooms.c.last_activity + game_timeout < now),
        )
    )
    return list((await conn.execute(query)).scalars())


#: Lobby sort keys and the columns behind them.
SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "name": func.lower(rooms.c.name),
    "game": rooms.c.game,
    "players": rooms.c.player_count,
    "capacity": rooms.c.capacity,
    "state": rooms.c.state,
    "created_at": rooms.c.created_at,
    "last_activity": rooms.c.last_activity,
}


async def lobby_page(
    conn: AsyncConnection,
    *,
    filters: Sequence[ColumnElement[bool]],
    sort: str,
    descending: bool,
    after: tuple[Any, str] | None,
    limit: int,
) -> tuple[list[Room], tuple[Any, str] | None]:
    """One page of public rooms in keyset order and the key to continue after it (None: the end)."""
    key = SORT_COLUMNS[sort]
    query = select(*_ROOM, key.label("sort_key")).where(rooms.c.private.is_(False), *filters)
    if after is not None:
        pair = tuple_(key, rooms.c.id)
        query = query.where(pair < tuple_(*after) if descending else pair > tuple_(*after))
    order = (key.desc(), rooms.c.id.desc()) if descending else (key.asc(), rooms.c.id.asc())
    rows = (await conn.execute(query.order_by(*order).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    seats = await _members(conn, [r[0] for r in rows])
    page = [_room(r, seats[r[0]]) for r in rows]
    next_key = (rows[-1].sort_key, rows[-1][0]) if more and rows else None
    return page, next_key


def lobby_filters(
    *,
    game: str | None,
    state: RoomState | None,
    has_password: bool | None,
    q: str | None,
    free_seats: bool | None,
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if game:
        out.append(rooms.c.game == game)
    if state is not None:
        out.append(rooms.c.state == state.value)
    if has_password is not None:
        out.append(rooms.c.password_hash.is_not(None) if has_password else rooms.c.password_hash.is_(None))
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out.append(func.lower(rooms.c.name).like(f"%{escaped}%", escape="\\"))
    if free_seats is not None:
        free = rooms.c.player_count < rooms.c.capacity
        out.append(free if free_seats else ~free)
    return out


async def occupied_rooms(conn: AsyncConnection) -> list[Room]:
    """Every room with someone seated in it, with its members."""
    ids = [row[0] for row in await conn.execute(select(members.c.room_id).distinct())]
    if not ids:
        return []
    seats = await _members(conn, ids)
    found = await conn.execute(select(*_ROOM).where(rooms.c.id.in_(ids)))
    return [_room(row, seats[row[0]]) for row in found]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_rooms(conn: AsyncConnection, q: str | None, limit: int) -> list[Room]:
    """Every room, public or not, most recently active first; ``q`` matches a code exactly, a game, or
    part of a name or of a member's username (case-insensitive)."""
    query = select(*_ROOM)
    if q:
        pattern = _like(q)
        by_member = (
            select(members.c.room_id)
            .join(sessions, sessions.c.id == members.c.session_id)
            .where(func.lower(sessions.c.username).like(pattern, escape="\\"))
        )
        query = query.where(
            or_(
                rooms.c.code == q.strip().upper(),
                rooms.c.game == q.strip().lower(),
                func.lower(rooms.c.name).like(pattern, escape="\\"),
                rooms.c.id.in_(by_member),
            )
        )
    rows = (await conn.execute(query.order_by(rooms.c.last_activity.desc(), rooms.c.id).limit(limit))).all()
    seats = await _members(conn, [r[0] for r in rows])
    return [_room(r, seats[r[0]]) for r in rows]


async def census(conn: AsyncConnection) -> list[tuple[str, str, int]]:
    """``(game, state, rooms)`` for every game and state that has rooms."""
    query = select(rooms.c.game, rooms.c.state, func.count()).group_by(rooms.c.game, rooms.c.state)
    return [(row[0], row[1], int(row[2])) for row in await conn.execute(query)]
