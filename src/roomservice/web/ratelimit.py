"""Per-key token buckets for the HTTP routes that cost the server most: sessions, rooms, passwords.

Each limit is "N a minute": a bucket holds up to N tokens and refills N per minute, so a client may
spend N at once and then one every 60/N seconds. Time comes from the app's clock, so tests move it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from starlette.requests import HTTPConnection

from roomservice.config import Settings
from roomservice.errors import RoomServiceError
from roomservice.types import Clock

#: Buckets kept per limiter; past that, full buckets (clients that came back to normal) are dropped.
KEYS_MAX = 100_000


class RateLimited(RoomServiceError):
    """429 ``rate_limited``; ``retry_after`` whole seconds go in the ``Retry-After`` header."""

    status = 429

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__("rate_limited", f"Too many {what}; try again in {retry_after} s.")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Limiter:
    """``per_minute`` events per key and minute; ``0`` never refuses."""

    def __init__(self, per_minute: int, clock: Clock, what: str) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.what = what
        #: key -> (tokens, time of that count)
        self._buckets: dict[str, tuple[float, float]] = {}

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + max(0.0, now - at) * self.rate)

    def take(self, key: str) -> None:
        """Spend one token of ``key``, or raise :class:`RateLimited` saying when one is back."""
        if self.capacity <= 0:
            return
        now = self.clock()
        tokens = self._level(key, now)
        if tokens < 1.0:
            raise RateLimited(self.what, max(1, math.ceil((1.0 - tokens) / self.rate)))
        if key not in self._buckets and len(self._buckets) >= KEYS_MAX:
            self._sweep(now)
        self._buckets[key] = (tokens - 1.0, now)

    def give_back(self, key: str) -> None:
        """Return a token taken for an attempt that turned out not to count."""
        if self.capacity <= 0 or key not in self._buckets:
            return
        now = self.clock()
        self._buckets[key] = (min(self.capacity, self._level(key, now) + 1.0), now)

    def _sweep(self, now: float) -> None:
        """Forget full buckets, then the oldest, down to 90% of ``KEYS_MAX`` so sweeps stay rare."""
        full = [k for k in self._buckets if self._level(k, now) >= self.capacity]
        for key in full:
            del self._buckets[key]
        excess = len(self._buckets) - KEYS_MAX * 9 // 10
        for key in list(itertools.islice(self._buckets, max(0, excess))):
            del self._buckets[key]


class HttpLimits:
    """The app's limiters, built from settings (``http_rate_*``)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.sessions = Limiter(settings.http_rate_sessions, clock, "sessions created")
        self.rooms = Limiter(settings.http_rate_rooms, clock, "rooms created")
        self.passwords = Limiter(settings.http_rate_passwords, clock, "password attempts")
        self.room_passwords = Limiter(settings.http_rate_room_passwords, clock, "password attempts")


def limits_of(conn: HTTPConnection) -> HttpLimits:
    limits: HttpLimits = conn.app.state.limits
    return limits


def client_address(conn: HTTPConnection) -> str:
    """The caller's address: the peer, or what a trusted proxy said in ``X-Forwarded-For`` (uvicorn
    rewrites the peer for proxies in ``forwarded_allow_ips``)."""
    client: Any = conn.client
    return str(client.host) if client is not None else "unknown"
