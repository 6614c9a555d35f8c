"""The leases seam."""

from __future__ import annotations

import dataclasses
from typing import Protocol


@dataclasses.dataclass(frozen=True, slots=True)
class Lease:
    room_id: str
    owner: str
    token: int
    expires_at: float


class Leases(Protocol):
    node_id: str

    async def acquire(self, room_id: str) -> Lease | None: ...
    async def renew(self, lease: Lease) -> Lease | None: ...
    async def release(self, lease: Lease) -> None: ...
    async def owner(self, room_id: str) -> str | None: ...
