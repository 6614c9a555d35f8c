"""This node owns every room."""

from __future__ import annotations

import uuid

from roomservice.leases.base import Lease
from roomservice.types import Clock, wall_clock


class LocalLeases:
    def __init__(self, node_id: str | None = None, clock: Clock = wall_clock, ttl: float = 30.0) -> None:
        self.node_id = node_id or uuid.uuid4().hex
        self.clock = clock
        self.ttl = ttl
        self._token = int(clock() * 1_000_000)
        self._held: dict[str, Lease] = {}

    async def acquire(self, room_id: str) -> Lease | None:
        self._token += 1
        lease = Lease(room_id, self.node_id, self._token, self.clock() + self.ttl)
        self._held[room_id] = lease
        return lease

    async def renew(self, lease: Lease) -> Lease | None:
        if self._held.get(lease.room_id) != lease:
            return None
        renewed = Lease(lease.room_id, lease.owner, lease.token, self.clock() + self.ttl)
        self._held[lease.room_id] = renewed
        return renewed

    async def release(self, lease: Lease) -> None:
        if self._held.get(lease.room_id) == lease:
            del self._held[lease.room_id]

    async def owner(self, room_id: str) -> str | None:
        return self.node_id if room_id in self._held else None
