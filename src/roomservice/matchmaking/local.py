"""The in-process queue: plain dicts, changed without an ``await`` in between, so every step is atomic
on the event loop. One node only; its tickets are lost when the process ends."""

from __future__ import annotations

import dataclasses
import statistics
from collections import deque

from roomservice.matchmaking.base import (
    WAITS_KEPT,
    AlreadyQueued,
    Group,
    Placement,
    Stats,
    Status,
    Ticket,
)
from roomservice.types import Clock, wall_clock


@dataclasses.dataclass(slots=True)
class _Group:
    group_id: str
    number: int
    game: str
    pool: str
    max_size: int
    tickets: list[str]
    room_code: str | None = None
    closed: bool = False
    touched: float = 0.0


class LocalQueue:
    def __init__(self, *, clock: Clock = wall_clock, retention: float = 3600.0) -> None:
        self._clock = clock
        self._retention = retention
        self._tickets: dict[str, Ticket] = {}
        self._touched: dict[str, float] = {}
        self._live: dict[str, str] = {}  # session id -> live ticket id
        self._groups: dict[str, _Group] = {}
        #: Open groups by pool (``_rank`` picks among them).
        self._open: dict[str, dict[str, _Group]] = {}
        self._waits: dict[str, deque[float]] = {}
        self._numbers = 0
        self._swept = clock()

    # -- helpers -----------------------------------------------------------------------------

    def _put(self, ticket: Ticket) -> Ticket:
        self._tickets[ticket.ticket_id] = ticket
        self._touched[ticket.ticket_id] = self._clock()
        return ticket

    def _is_live(self, ticket: Ticket) -> bool:
        if ticket.status is Status.SEARCHING:
            return True
        group = self._groups.get(ticket.group_id)
        return ticket.status is Status.MATCHED and group is not None and not group.closed

    def _reopen(self, group: _Group) -> None:
        pool = self._open.setdefault(group.pool, {})
        if group.closed or not group.tickets or len(group.tickets) >= group.max_size:
            pool.pop(group.group_id, None)
        else:
            pool[group.group_id] = group
        group.touched = self._clock()

    def _drop(self, group: _Group, ticket_id: str) -> None:
        if ticket_id in group.tickets:
            group.tickets.remove(ticket_id)
        self._reopen(group)

    def _forget_old(self) -> None:
        """Drop what no longer changes and has outlived the retention (the TTL of the Redis keys)."""
        now = self._clock()
        if now - self._swept < self._retention / 10:
            return
        self._swept = now
        horizon = now - self._retention
        for ticket_id in [t for t, at in self._touched.items() if at < horizon]:
            ticket = self._tickets.pop(ticket_id)
            del self._touched[ticket_id]
            if self._live.get(ticket.session_id) == ticket_id:
                del self._live[ticket.session_id]
        for group_id in [g.group_id for g in self._groups.values() if g.touched < horizon]:
            group = self._groups.pop(group_id)
            self._open.get(group.pool, {}).pop(group_id, None)

    def _place(self, ticket_id: str, game: str, pool: str, max_size: int) -> _Group:
        """The allocation: the fullest open group of the pool (ties: the oldest), else a new one."""
        best = min(self._open.get(pool, {}).values(), key=_rank, default=None)
        if best is None:
            self._numbers += 1
            best = _Group(str(self._numbers), self._numbers, game, pool, max_size, [])
            self._groups[best.group_id] = best
        best.tickets.append(ticket_id)
        self._reopen(best)
        return best

    # -- MatchQueue --------------------------------------------------------------------------

    async def add(
        self,
        *,
        ticket_id: str,
        session_id: str,
        username: str,
        game: str,
        pool: str,
        queued_at: float,
        max_size: int,
    ) -> Placement:
        self._forget_old()
        live = self._live.get(session_id)
        if live is not None and (held := self._tickets.get(live)) is not None and self._is_live(held):
            raise AlreadyQueued(live)
        best = self._place(ticket_id, game, pool, max_size)
        ticket = self._put(
            Ticket(ticket_id, session_id, username, game, pool, Status.SEARCHING, queued_at, best.group_id)
        )
        self._live[session_id] = ticket_id
        return Placement(ticket, len(best.tickets), best.room_code)

    async def get(self, ticket_id: str) -> Ticket | None:
        return self._tickets.get(ticket_id)

    async def withdraw(self, ticket_id: str, status: Status) -> Ticket | None:
        ticket = self._tickets.get(ticket_id)
        if ticket is None or ticket.status is not Status.SEARCHING:
            return ticket
        ticket = self._put(dataclasses.replace(ticket, status=status))
        group = self._groups.get(ticket.group_id)
        if group is not None:
            self._drop(group, ticket_id)
        return ticket

    async def group(self, group_id: str) -> Group | None:
        g = self._groups.get(group_id)
        if g is None:
            return None
        return Group(g.group_id, g.game, g.pool, len(g.tickets), g.room_code, g.closed, tuple(g.tickets))

    async def match(self, group_id: str, now: float, minimum: int = 1) -> list[Ticket]:
        group = self._groups.get(group_id)
        if group is None or group.closed or len(group.tickets) < minimum:
            return []
        if group.room_code is None and any(self._tickets[t].status is Status.MATCHED for t in group.tickets):
            return []  # its room is being made
        matched = []
        waits = self._waits.setdefault(group.game, deque(maxlen=WAITS_KEPT))
        for ticket_id in group.tickets:
            ticket = self._tickets[ticket_id]
            if ticket.status is Status.SEARCHING:
                waited = max(0.0, now - ticket.queued_at)
                ticket = self._put(
                    dataclasses.replace(
                        ticket, status=Status.MATCHED, room_code=group.room_code, waited=waited
                    )
                )
                waits.append(waited)
                matched.append(ticket)
        group.touched = self._clock()
        return matched

    async def bind(self, group_id: str, room_code: str) -> bool:
        group = self._groups.get(group_id)
        if group is None:
            return False
        group.room_code = room_code
        waiting = False
        for ticket_id in group.tickets:
            ticket = self._tickets[ticket_id]
            if ticket.status is Status.MATCHED:
                self._put(dataclasses.replace(ticket, room_code=room_code))
            elif ticket.status is Status.SEARCHING:
                waiting = True
        group.touched = self._clock()
        return waiting

    async def leave(self, ticket_id: str) -> bool:
        ticket = self._tickets.get(ticket_id)
        if ticket is None or ticket.status is not Status.MATCHED:
            return False
        group = self._groups.get(ticket.group_id)
        if group is None or group.closed:
            return False
        self._put(dataclasses.replace(ticket, status=Status.CANCELLED))
        self._drop(group, ticket_id)
        return True

    async def close(self, group_id: str) -> list[str]:
        group = self._groups.get(group_id)
        if group is None or group.closed:
            return []
        group.closed = True
        self._reopen(group)
        moved: list[str] = []
        for ticket_id in list(group.tickets):
            ticket = self._tickets[ticket_id]
            if ticket.status is Status.SEARCHING:
                group.tickets.remove(ticket_id)
                target = self._place(ticket_id, ticket.game, ticket.pool, group.max_size)
                self._put(dataclasses.replace(ticket, group_id=target.group_id))
                if target.group_id not in moved:
                    moved.append(target.group_id)
        return moved

    async def stats(self, game: str) -> Stats:
        searching = sum(1 for t in self._tickets.values() if t.game == game and t.status is Status.SEARCHING)
        open_rooms = sum(1 for pool in self._open.values() for g in pool.values() if g.game == game)
        waits = self._waits.get(game)
        return Stats(searching, open_rooms, statistics.median(waits) if waits else 0.0)

    async def aclose(self) -> None:
        pass


def _rank(group: _Group) -> tuple[int, int]:
    """Fullest first, then oldest."""
    return (-len(group.tickets), group.number)
