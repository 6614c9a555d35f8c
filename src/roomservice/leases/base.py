"""The leases seam: which node owns a room, that is restores it, runs it and numbers its frames.

Contract (every implementation, checked by ``tests/leases``):

- ``acquire`` gives a ``Lease`` unless another node holds a live one (then ``None``). Every acquire that
  gives a lease gives a new one, with a token strictly above every token given before for that room, by
  any node, across restarts. Acquiring a room this node already holds is allowed and *supersedes* the
  held lease: the old one can no longer be renewed or released, so two holders inside one node are
  told apart like two nodes would be.
- ``renew`` (``renew_many``: each of several, in order) extends a lease it still holds by the
  time-to-live and returns it with the same token and an ``expires_at`` no earlier than before;
  ``None`` when it was lost (released, superseded, or expired and taken by another node). A caller
  that gets ``None`` must stop acting as the owner at once.
- ``release`` lets a lease go; releasing a lease that was lost or superseded does nothing (it never
  frees a later holder's lease).
- ``owner`` names the node holding a live lease on the room, or ``None``.
- Times (``expires_at``) are seconds on the implementation's clock (wall seconds since the epoch).
- Losing a lease is an answer (``None``), never an exception; what raises is only a failure to reach a
  networked store, which the caller treats as "ownership unknown" and stops acting as the owner.
- A write that must only come from the owner carries the token, and whoever stores it refuses a token
  below the highest one it has seen (fencing): a paused former owner can then do no harm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol


class Fenced(Exception):
    """A write of a room carried a lease token below the room's fence: a newer owner claimed the room,
    so the writer lost it and must stop acting as its owner. ``room_id`` names the room."""

    def __init__(self, room_id: str) -> None:
        super().__init__(f"room {room_id}: a newer owner holds the room")
        self.room_id = room_id


@dataclasses.dataclass(frozen=True, slots=True)
class Lease:
    """Ownership of one room by one node until ``expires_at`` unless renewed."""

    room_id: str
    #: The node id of the owner.
    owner: str
    #: Fencing token: strictly increases on every acquire of the room, across restarts.
    token: int
    #: When the lease lapses without a renew, in clock seconds.
    expires_at: float


class Leases(Protocol):
    #: This node's id, the ``owner`` of every lease it acquires.
    node_id: str

    async def acquire(self, room_id: str) -> Lease | None:
        """A new lease on the room (superseding one this node held), or ``None`` while another node
        holds a live one."""

    async def renew(self, lease: Lease) -> Lease | None:
        """The lease with ``expires_at`` moved one time-to-live from now, or ``None`` if it was lost."""

    async def renew_many(self, leases: Sequence[Lease]) -> list[Lease | None]:
        """:meth:`renew` of each lease, in order, in as few round trips as the store allows (a node
        renews every room it owns at once)."""

    async def release(self, lease: Lease) -> None:
        """Let the lease go, if it is still the room's current one."""

    async def owner(self, room_id: str) -> str | None:
        """The node holding a live lease on the room, if any."""
