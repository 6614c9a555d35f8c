"""Queries on rooms and seats. Each function runs inside a transaction the caller owns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roomservice.rooms.model import Member, Room, RoomConfig
from roomservice.store import chat
from roomservice.store.models import MemberRow, RoomRow, SessionRow
from roomservice.types import Role, RoomState

rooms = cast(Table, RoomRow.__table__)
members = cast(Table, MemberRow.__table__)


def _room(row: Row[Any], seats: Sequence[Member]) -> Room:
    return Room(
        room_id=row.id,
        room_code=row.code,
        name=row.name,
        game=row.game,
        has_password=row.password_hash is not None,
        private=row.private,
        config=RoomConfig(**row.config),
        state=RoomState(row.state),
        host_session_id=row.host_session_id,
        creator_session_id=row.creator_session_id,
        created_at=row.created_at,
        last_activity=row.last_activity,
        game_started_at=row.game_started_at,
        members=tuple(seats),
    )


async def _members(conn: AsyncConnection, room_ids: Iterable[str]) -> dict[str, list[Member]]:
    ids = list(room_ids)
    out: dict[str, list[Member]] = {rid: [] for rid in ids}
    if not ids:
        return out
    query = (
        select(MemberRow, SessionRow.username)
        .join(SessionRow, SessionRow.id == MemberRow.session_id)
        .where(MemberRow.room_id.in_(ids))
        .order_by(MemberRow.room_id, MemberRow.seat)
    )
    for row in await conn.execute(query):
        out[row.room_id].append(Member(row.session_id, row.username, Role(row.role), row.seat, row.joined_at))
    return out


async def get_room(
    conn: AsyncConnection,
    *,
    code: str | None = None,
    room_id: str | None = None,
    lock: bool = False,
) -> tuple[Room, str | None] | None:
    """The room and its password hash; ``lock`` holds the row until the transaction ends."""
    query = select(rooms)
    query = query.where(rooms.c.code == code) if code is not None else query.where(rooms.c.id == room_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    seats = await _members(conn, [row.id])
    return _room(row, seats[row.id]), row.password_hash


async def room_of_session(conn: AsyncConnection, session_id: str) -> Room | None:
    room_id = (
        await conn.execute(select(members.c.room_id).where(members.c.session_id == session_id))
    ).scalar_one_or_none()
    if room_id is None:
        return None
    found = await get_room(conn, room_id=room_id)
    return found[0] if found else None


async def rooms_created_by(conn: AsyncConnection, session_id: str) -> list[Room]:
    rows = (
        await conn.execute(
            select(rooms).where(rooms.c.creator_session_id == session_id).order_by(rooms.c.created_at)
        )
    ).all()
    seats = await _members(conn, [r.id for r in rows])
    return [_room(r, seats[r.id]) for r in rows]


async def code_taken(conn: AsyncConnection, code: str) -> bool:
    return (await conn.execute(select(rooms.c.id).where(rooms.c.code == code))).first() is not None


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


async def save_room(conn: AsyncConnection, room: Room) -> None:
    """Write a room's mutable fields (not its members)."""
    await conn.execute(
        update(rooms)
        .where(rooms.c.id == room.room_id)
        .values(
            config=room.config.to_dict(),
            capacity=room.config.max_players,
            idle_timeout=room.config.timeout_seconds,
            player_count=len(room.players),
            state=room.state.value,
            host_session_id=room.host_session_id,
            last_activity=room.last_activity,
            game_started_at=room.game_started_at,
        )
    )


async def add_member(conn: AsyncConnection, room_id: str, member: Member) -> None:
    await conn.execute(
        insert(members).values(
            session_id=member.session_id,
            room_id=room_id,
            role=member.role.value,
            seat=member.seat,
            joined_at=member.joined_at,
        )
    )


async def remove_member(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(delete(members).where(members.c.session_id == session_id))


async def delete_room(conn: AsyncConnection, room_id: str) -> None:
    await conn.execute(delete(members).where(members.c.room_id == room_id))
    await chat.forget(conn, room_id)
    await conn.execute(delete(rooms).where(rooms.c.id == room_id))


async def touch_rooms(conn: AsyncConnection, room_ids: Iterable[str], now: float) -> None:
    await conn.execute(update(rooms).where(rooms.c.id.in_(list(room_ids))).values(last_activity=now))


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
    query = select(rooms, key.label("sort_key")).where(rooms.c.private.is_(False), *filters)
    if after is not None:
        pair = tuple_(key, rooms.c.id)
        query = query.where(pair < tuple_(*after) if descending else pair > tuple_(*after))
    order = (key.desc(), rooms.c.id.desc()) if descending else (key.asc(), rooms.c.id.asc())
    rows = (await conn.execute(query.order_by(*order).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    seats = await _members(conn, [r.id for r in rows])
    page = [_room(r, seats[r.id]) for r in rows]
    next_key = (rows[-1].sort_key, rows[-1].id) if more and rows else None
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
