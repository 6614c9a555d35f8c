"""Queries on games, their action log and snapshots. Each runs in a transaction the caller owns."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.store.models import GameActionRow, GameRow, GameSnapshotRow, RoomRow
from roomservice.store.sql import Statement
from roomservice.types import RoomState

games = cast(Table, GameRow.__table__)
actions = cast(Table, GameActionRow.__table__)
snapshots = cast(Table, GameSnapshotRow.__table__)
rooms = cast(Table, RoomRow.__table__)


@dataclasses.dataclass(frozen=True, slots=True)
class GameRecord:
    game_id: str
    room_id: str
    game_no: int
    game: str
    seed: int
    options: dict[str, Any]
    players: list[str]
    dev: bool
    started_at: float
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    #: The players the server's bots played, so results can leave them out (leaderboards).
    bots: list[str] = dataclasses.field(default_factory=list)


# The log's entries are made for every tick of every real-time room (and every step of the others):
# plain slotted classes, since a frozen dataclass's __init__ costs several times as much. None of them
# is changed after it is made.


@dataclasses.dataclass(slots=True)
class ActionEntry:
    """One accepted step, written with its room's last_activity."""

    game_id: str
    room_id: str
    step: int
    kind: str
    player: str | None
    payload: Any
    ticks: int
    at: float


@dataclasses.dataclass(slots=True)
class InputsEntry:
    """A real-time game's inputs applied between two ticks, as one row: ``inputs`` holds ``(player,
    payload, at)`` per accepted action in order, the last of them step ``step``; every one of them
    came after ``ticks`` ticks. Read back (:func:`actions_after`) as one ``ActionEntry`` per input."""

    game_id: str
    room_id: str
    step: int
    ticks: int
    inputs: Sequence[tuple[str | None, Any, float]]

    @property
    def at(self) -> float:
        return self.inputs[-1][2]


@dataclasses.dataclass(slots=True)
class SnapshotEntry:
    game_id: str
    step: int
    ticks: int
    state: Any
    at: float


@dataclasses.dataclass(frozen=True, slots=True)
class FinishEntry:
    game_id: str
    finished_at: float
    result: dict[str, Any]


Entry = ActionEntry | InputsEntry | SnapshotEntry | FinishEntry
#: The ``kind`` of a row holding an :class:`InputsEntry`, and of each action read back from it.
INPUTS = "inputs"
ACTION = "action"


def _record(row: Any) -> GameRecord:
    return GameRecord(
        game_id=row.id,
        room_id=row.room_id,
        game_no=row.game_no,
        game=row.game,
        seed=row.seed,
        options=row.options,
        players=list(row.players),
        dev=row.dev,
        started_at=row.started_at,
        finished_at=row.finished_at,
        result=row.result,
        bots=list(row.bots or ()),
    )


async def next_game_no(conn: AsyncConnection, room_id: str) -> int:
    last = await conn.scalar(select(func.max(games.c.game_no)).where(games.c.room_id == room_id))
    return int(last or 0) + 1


async def insert_game(conn: AsyncConnection, record: GameRecord) -> None:
    await conn.execute(
        insert(games).values(
            id=record.game_id,
            room_id=record.room_id,
            game_no=record.game_no,
            game=record.game,
            seed=record.seed,
            options=record.options,
            players=record.players,
            dev=record.dev,
            started_at=record.started_at,
            bots=record.bots,
        )
    )


async def latest_game(conn: AsyncConnection, room_id: str) -> GameRecord | None:
    row = (
        await conn.execute(
            select(games).where(games.c.room_id == room_id).order_by(games.c.game_no.desc()).limit(1)
        )
    ).first()
    return _record(row) if row is not None else None


async def get_game(conn: AsyncConnection, game_id: str) -> GameRecord | None:
    row = (await conn.execute(select(games).where(games.c.id == game_id))).first()
    return _record(row) if row is not None else None


async def games_of_live_rooms(conn: AsyncConnection) -> list[GameRecord]:
    """The newest game of every room that is in a game or just finished one: what a restart restores."""
    newest = (
        select(games.c.room_id, func.max(games.c.game_no).label("game_no"))
        .group_by(games.c.room_id)
        .subquery()
    )
    query = (
        select(games)
        .join(newest, (games.c.room_id == newest.c.room_id) & (games.c.game_no == newest.c.game_no))
        .join(rooms, rooms.c.id == games.c.room_id)
        .where(rooms.c.state.in_([RoomState.IN_GAME.value, RoomState.FINISHED.value]))
    )
    return [_record(row) for row in await conn.execute(query)]


async def latest_snapshot(conn: AsyncConnection, game_id: str) -> SnapshotEntry | None:
    row = (
        await conn.execute(
            select(snapshots)
            .where(snapshots.c.game_id == game_id)
            .order_by(snapshots.c.step.desc(), snapshots.c.ticks.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return SnapshotEntry(row.game_id, row.step, row.ticks, row.state, row.at)


async def actions_after(conn: AsyncConnection, game_id: str, step: int) -> list[ActionEntry]:
    """The game's logged steps after ``step``, in order; a row of a tick's inputs gives one entry per
    input (numbered back from the row's last step)."""
    query = (
        select(actions, games.c.room_id)
        .join(games, games.c.id == actions.c.game_id)
        .where(actions.c.game_id == game_id, actions.c.step > step)
        .order_by(actions.c.step)
    )
    out: list[ActionEntry] = []
    for r in await conn.execute(query):
        if r.kind != INPUTS:
            out.append(ActionEntry(r.game_id, r.room_id, r.step, r.kind, r.player, r.payload, r.ticks, r.at))
            continue
        first = r.step - len(r.payload) + 1
        out.extend(
            ActionEntry(r.game_id, r.room_id, n, ACTION, player, payload, r.ticks, at)
            for n, (player, payload, at) in enumerate(r.payload, first)
            if n > step
        )
    return out


_INSERT_ACTION = Statement(
    insert(actions).values(
        {c: bindparam(c) for c in ("game_id", "step", "kind", "player", "payload", "ticks", "at")}
    )
)
_INSERT_SNAPSHOT = Statement(
    insert(snapshots).values({c: bindparam(c) for c in ("game_id", "step", "ticks", "state", "at")})
)
_TOUCH_ROOM = Statement(
    update(rooms)
    .where(rooms.c.id == bindparam("room_id"), rooms.c.last_activity < bindparam("at"))
    .values(last_activity=bindparam("at"))
)


#: Seconds a real-time room's ``last_activity`` may lag behind its inputs: a room whose batch holds only
#: inputs (:class:`InputsEntry`) is touched at most this often. Updating the row and its index for every
#: tick of every room cost as much as writing the ticks.
TOUCH_EVERY = 1.0


async def write(
    conn: AsyncConnection, entries: Sequence[Entry], touched_at: Mapping[str, float] | None = None
) -> tuple[set[str], float]:
    """Write a batch: log entries, snapshots, results, and the rooms' last_activity, all at once.
    The statements are built once and run as one ``executemany`` each: this is the journal's path,
    taken for every tick of every real-time room and every accepted step of the others. The entries
    are sorted out in one pass.

    ``touched_at``: when the caller last wrote each room's last_activity; a room with only inputs in
    this batch is left alone until :data:`TOUCH_EVERY` has passed. Returns the rooms touched and the
    time written, for the caller to note once the transaction commits."""
    logged: list[dict[str, Any]] = []
    saved: list[dict[str, Any]] = []
    finished: list[FinishEntry] = []
    touched: set[str] = set()
    ticking: set[str] = set()
    at = -math.inf
    for e in entries:
        if isinstance(e, InputsEntry):
            last = e.inputs[-1][2]
            ticking.add(e.room_id)
            logged.append(
                {
                    "game_id": e.game_id,
                    "step": e.step,
                    "kind": INPUTS,
                    "player": None,
                    "payload": e.inputs,  # its (player, payload, at) tuples encode as JSON arrays
                    "ticks": e.ticks,
                    "at": last,
                }
            )
        elif isinstance(e, ActionEntry):
            last = e.at
            touched.add(e.room_id)
            logged.append(
                {
                    "game_id": e.game_id,
                    "step": e.step,
                    "kind": e.kind,
                    "player": e.player,
                    "payload": e.payload,
                    "ticks": e.ticks,
                    "at": last,
                }
            )
        elif isinstance(e, SnapshotEntry):
            saved.append(
                {"game_id": e.game_id, "step": e.step, "ticks": e.ticks, "state": e.state, "at": e.at}
            )
            continue
        else:
            finished.append(e)
            continue
        if last > at:
            at = last
    if touched_at is None:
        touched |= ticking
    else:
        touched.update(r for r in ticking if touched_at.get(r, -math.inf) + TOUCH_EVERY <= at)
    if logged:
        await _INSERT_ACTION.many(conn, logged)
        # The batch's latest time for every room in it: within a few milliseconds of each room's own.
        if touched:
            await _TOUCH_ROOM.many(conn, [{"room_id": room_id, "at": at} for room_id in touched])
    if saved:
        await _INSERT_SNAPSHOT.many(conn, saved)
    for done in finished:
        await conn.execute(
            update(games)
            .where(games.c.id == done.game_id)
            .values(finished_at=done.finished_at, result=done.result)
        )
    return touched, at
