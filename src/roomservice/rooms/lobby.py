"""The lobby: public rooms, filtered, sorted by any listed attribute, in keyset-paginated pages."""

from __future__ import annotations

import base64
import dataclasses
import math
from typing import Any

import msgspec

from roomservice.errors import Invalid
from roomservice.rooms.model import Room
from roomservice.store import rooms as repo
from roomservice.store.database import Database
from roomservice.types import RoomState

SORT_FIELDS = tuple(repo.SORT_COLUMNS)
LIMIT_MAX = 100


@dataclasses.dataclass(frozen=True, slots=True)
class LobbyQuery:
    game: str | None = None
    state: RoomState | None = None
    has_password: bool | None = None
    q: str | None = None
    free_seats: bool | None = None
    sort: str = "created_at"
    order: str = "desc"
    limit: int = 20
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.sort not in repo.SORT_COLUMNS:
            raise Invalid(
                "invalid_sort",
                f"Unknown sort field {self.sort!r}; use one of: {', '.join(SORT_FIELDS)}.",
            )
        if self.order not in ("asc", "desc"):
            raise Invalid("invalid_order", "order is 'asc' or 'desc'.")
        if not 1 <= self.limit <= LIMIT_MAX:
            raise Invalid("invalid_limit", f"limit is between 1 and {LIMIT_MAX}.")


def encode_cursor(sort: str, order: str, key: tuple[Any, str]) -> str:
    raw = msgspec.json.encode([sort, order, key[0], key[1]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: What a cursor's key may hold, per sort field: text, a count, or a time (epoch seconds).
_TEXT_SORTS = frozenset({"name", "game", "state"})
_COUNT_SORTS = frozenset({"players", "capacity"})
#: Bounds that keep a crafted cursor from reaching the database with values it cannot compare.
CURSOR_MAX = 512
_TEXT_MAX = 200
_COUNT_MAX = 2**31 - 1
_TIME_MAX = 2**53


def _valid_key(sort: str, value: Any, room_id: Any) -> bool:
    if not isinstance(room_id, str) or not 0 < len(room_id) <= 64 or "\x00" in room_id:
        return False
    if sort in _TEXT_SORTS:
        return isinstance(value, str) and len(value) <= _TEXT_MAX and "\x00" not in value
    if isinstance(value, bool):
        return False
    if sort in _COUNT_SORTS:
        return isinstance(value, int) and 0 <= value <= _COUNT_MAX
    return isinstance(value, int | float) and math.isfinite(value) and abs(value) <= _TIME_MAX


def decode_cursor(cursor: str, sort: str, order: str) -> tuple[Any, str]:
    """The key a cursor continues after; a cursor only continues the listing that made it."""
    invalid = Invalid("invalid_cursor", "The cursor is not valid.")
    if len(cursor) > CURSOR_MAX:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = msgspec.json.decode(raw)
    except Exception:
        raise invalid from None
    if not isinstance(decoded, list) or len(decoded) != 4:
        raise invalid
    c_sort, c_order, value, room_id = decoded
    if (c_sort, c_order) != (sort, order):
        raise Invalid("invalid_cursor", "The cursor belongs to a different sort or order.")
    if not _valid_key(sort, value, room_id):
        raise invalid
    return value, room_id


async def list_rooms(db: Database, query: LobbyQuery) -> tuple[list[Room], str | None]:
    after = decode_cursor(query.cursor, query.sort, query.order) if query.cursor else None
    filters = repo.lobby_filters(
        game=query.game,
        state=query.state,
        has_password=query.has_password,
        q=query.q,
        free_seats=query.free_seats,
    )
    async with db.read() as conn:
        page, next_key = await repo.lobby_page(
            conn,
            filters=filters,
            sort=query.sort,
            descending=query.order == "desc",
            after=after,
            limit=query.limit,
        )
    cursor = encode_cursor(query.sort, query.order, next_key) if next_key else None
    return page, cursor
