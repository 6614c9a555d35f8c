"""One-time socket tickets: a short-lived stand-in for the session token in ``/ws?ticket=``.

A browser cannot set headers on a WebSocket, and a long-lived token in a URL ends up in logs and
histories. A ticket is worth one handshake, for ``TICKET_TTL`` seconds. These tickets live in this
process's memory, for one node alone; several nodes keep theirs in Redis instead (``cluster.node``), so
any node redeems them.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict

from roomservice.types import Clock, wall_clock

#: Seconds a ticket stays valid.
TICKET_TTL = 30
#: Unused tickets kept at most; past that the oldest are forgotten (a ticket is meant to be used at once).
TICKETS_MAX = 100_000


class TicketBook:
    """Issues tickets for session tokens and redeems each at most once."""

    def __init__(self, clock: Clock = wall_clock, ttl: float = TICKET_TTL, limit: int = TICKETS_MAX) -> None:
        self.clock = clock
        self.ttl = ttl
        self.limit = limit
        #: ticket -> (session token, expiry), oldest first.
        self._tickets: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tickets)

    def issue(self, token: str) -> str:
        """A new ticket that stands for ``token`` until it is redeemed or expires."""
        now = self.clock()
        self._prune(now)
        while len(self._tickets) >= self.limit:
            self._tickets.popitem(last=False)
        ticket = secrets.token_urlsafe(32)
        self._tickets[ticket] = (token, now + self.ttl)
        return ticket

    def redeem(self, ticket: str) -> str | None:
        """The token a ticket stands for, once; None when it is unknown, used or expired."""
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] <= self.clock():
            return None
        return entry[0]

    def _prune(self, now: float) -> None:
        # Tickets are kept in issue order with one ttl, so the expired ones are at the front.
        while self._tickets:
            ticket, (_, expires) = next(iter(self._tickets.items()))
            if expires > now:
                break
            del self._tickets[ticket]
