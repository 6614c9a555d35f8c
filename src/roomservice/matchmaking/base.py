"""The matchmaking queue seam: tickets, the rooms being filled, and one atomic allocation step.

Contract (every implementation, checked by ``tests/matchmaking``):

- ``add`` is the allocation step, atomic: it refuses a session that already has a live ticket
  (searching, or matched into a group that has not started), else files the ticket into the open group
  of its pool with the most tickets (ties: the oldest group), or a new group, and returns where it went.
  A group leaves the open set when it holds ``max`` tickets, and is open again when one leaves.
- ``withdraw`` ends a *searching* ticket (cancelled or expired) and frees its place; a matched ticket is
  returned unchanged, so a cancel racing a match ends one way or the other, never both.
- ``match`` marks every searching ticket of a group ``matched`` (atomically, and only if the group still
  holds the minimum asked for: a cancel just before cannot leave a room below it) and returns them; it
  marks none while the group has matched tickets but no room named yet (another node is making that
  room: two nodes settling one group at once make one room). ``bind`` names the group's room on the
  group and its matched tickets, and says whether searching tickets wait in it (filed while the room
  was being made, their own settling refused: the binder settles the group again).
- ``leave`` frees the place of a matched ticket whose player left before the start (it becomes
  cancelled); ``close`` ends a group (its room started or is gone): it leaves the open set, its
  matched tickets stop being live, and its searching ones are placed again.
- Tickets and groups are kept for ``retention`` seconds after their last change (TTL keys on Redis).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Protocol

from roomservice.model import iso


class Status(enum.StrEnum):
    SEARCHING = "searching"
    MATCHED = "matched"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


#: Ticket and Placement are made for every ticket filed, so they are not frozen (a frozen dataclass's
#: ``__init__`` sets each field through ``object.__setattr__``: 3.4 µs a Ticket against 0.5 timed alone
#: on the loaded machine). Treat them as values all the same: nothing assigns to them once made; they
#: compare and hash by their fields, as before.
@dataclasses.dataclass(slots=True, unsafe_hash=True)
class Ticket:
    ticket_id: str
    session_id: str
    username: str
    game: str
    #: The queue inside the game: tickets only meet tickets asking for the same options.
    pool: str
    status: Status
    queued_at: float
    group_id: str
    room_code: str | None = None
    #: Seconds from ``queued_at`` to the match (matched tickets only).
    waited: float | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ticket_id": self.ticket_id,
            "game": self.game,
            "status": self.status.value,
            "queued_at": iso(self.queued_at),
        }
        if self.room_code:
            body["room_code"] = self.room_code
        return body


@dataclasses.dataclass(slots=True, unsafe_hash=True)
class Placement:
    """Where ``add`` put a ticket: its group, how many tickets the group now holds, and the group's room
    if it has one already."""

    ticket: Ticket
    size: int
    room_code: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    game: str
    pool: str
    #: Tickets in the group: searching and matched ones.
    size: int
    room_code: str | None
    closed: bool
    ticket_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Stats:
    searching: int
    open_rooms: int
    median_wait_seconds: float


class AlreadyQueued(Exception):
    """The session already holds the live ticket ``ticket_id``."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(ticket_id)
        self.ticket_id = ticket_id


#: Matched tickets' waits kept per game for the median.
WAITS_KEPT = 100


class MatchQueue(Protocol):
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
        """File a searching ticket (see the module's contract); raises :class:`AlreadyQueued`."""

    async def get(self, ticket_id: str) -> Ticket | None: ...

    async def withdraw(self, ticket_id: str, status: Status) -> Ticket | None:
        """End a searching ticket with ``status`` (cancelled or expired); others come back unchanged."""

    async def group(self, group_id: str) -> Group | None: ...

    async def match(self, group_id: str, now: float, minimum: int = 1) -> list[Ticket]:
        """Mark the group's searching tickets matched (waits counted to ``now``) if the group holds at
        least ``minimum`` tickets and is not having its room made, all in one step; the ones it marked."""

    async def bind(self, group_id: str, room_code: str) -> bool:
        """The group's room is ``room_code``: its matched tickets name it. Whether searching tickets
        wait in the group."""

    async def leave(self, ticket_id: str) -> bool:
        """A matched ticket of an open group gives its place back (becomes cancelled); False otherwise."""

    async def close(self, group_id: str) -> list[str]:
        """The group's room started or is gone: nobody joins it any more, its matched tickets are not
        live. Its searching tickets (filed just before) are placed again as ``add`` would; returns the
        groups they went to, each once."""

    async def stats(self, game: str) -> Stats: ...

    async def aclose(self) -> None: ...
