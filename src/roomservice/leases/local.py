"""The in-process leases: this node owns every room."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence

from roomservice.leases.base import Lease
from roomservice.types import Clock, wall_clock


def default_node_id() -> str:
    """Host name and process id: distinct for every process running at the same time."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LocalLeases:
    """Every acquire succeeds: no other node shares this one's rooms.

    Tokens are the clock in microseconds, or one above the last token when acquires come faster than
    that: a restarted process starts above every token the previous one gave, as long as the wall clock
    did not go back across the restart and the previous process averaged fewer than one acquire per
    microsecond. A lease lapses ``ttl`` seconds after its acquire or last renew (``owner`` then says
    ``None``); with no other node to take it, a lapsed lease can still be renewed. Never raises once built.
    """

    def __init__(self, node_id: str | None = None, clock: Clock = wall_clock, ttl: float = 30.0) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, got {ttl!r}")
        self.node_id = node_id or default_node_id()
        self._clock = clock
        self._ttl = ttl
        self._last_token = self._clock_token()
        self._held: dict[str, Lease] = {}

    def _clock_token(self) -> int:
        return int(self._clock() * 1_000_000)

    async def acquire(self, room_id: str) -> Lease | None:
        self._last_token = max(self._last_token + 1, self._clock_token())
        lease = Lease(room_id, self.node_id, self._last_token, self._clock() + self._ttl)
        self._held[room_id] = lease
        return lease

    async def renew(self, lease: Lease) -> Lease | None:
        return (await self.renew_many([lease]))[0]

    async def renew_many(self, leases: Sequence[Lease]) -> list[Lease | None]:
        # One pass, without a coroutine per lease: a node renews every room it owns together,
        # thousands of them.
        expires_at = self._clock() + self._ttl
        renewed: list[Lease | None] = []
        for lease in leases:
            if self._current(lease):
                lease = self._held[lease.room_id] = Lease(lease.room_id, lease.owner, lease.token, expires_at)
                renewed.append(lease)
            else:
                renewed.append(None)
        return renewed

    async def release(self, lease: Lease) -> None:
        if self._current(lease):
            del self._held[lease.room_id]

    async def owner(self, room_id: str) -> str | None:
        lease = self._held.get(room_id)
        if lease is None or lease.expires_at <= self._clock():
            return None
        return lease.owner

    def _current(self, lease: Lease) -> bool:
        held = self._held.get(lease.room_id)
        return held is not None and held.token == lease.token and held.owner == lease.owner
