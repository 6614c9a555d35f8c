"""Per-key token buckets for the HTTP routes that cost the server most: sessions, rooms, passwords;
and the log-in throttle, which counts wrong passwords in a sliding window.

Each bucket limit is "N a minute": a bucket holds up to N tokens and refills N per minute, so a client
may spend N at once and then one every 60/N seconds. Time comes from the app's clock, so tests move it.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
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


class TooManyAttempts(RateLimited):
    """429 ``too_many_attempts``: too many wrong passwords; ``Retry-After`` says when one more counts."""

    def __init__(self, retry_after: int) -> None:
        RoomServiceError.__init__(
            self,
            "too_many_attempts",
            f"Too many wrong passwords; try again in {retry_after} s.",
        )
        self.retry_after = retry_after


class Attempts:
    """At most ``limit`` attempts per key in any ``window`` seconds, each counted when it is made
    (:meth:`take`, so a burst of parallel attempts cannot slip past the check while the first ones are
    verified) and given back when it turned out right (:meth:`forgive`)."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._seen.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._seen[key]
            return None
        return times

    def check(self, key: str) -> None:
        """Raise :class:`TooManyAttempts` when ``key`` has used up its attempts."""
        now = self.clock()
        times = self._recent(key, now)
        if times is not None and len(times) >= self.limit:
            raise TooManyAttempts(max(1, math.ceil(times[0] + self.window - now)))

    def take(self, key: str) -> None:
        """Count one attempt of ``key`` (after :meth:`check`)."""
        now = self.clock()
        times = self._recent(key, now)
        if times is None:
            if len(self._seen) >= KEYS_MAX:
                self._sweep(now)
            times = self._seen[key] = deque()
        times.append(now)

    def forgive(self, key: str) -> None:
        """Give back the newest attempt of ``key``: it was right."""
        times = self._seen.get(key)
        if times:
            times.pop()
            if not times:
                del self._seen[key]

    def _sweep(self, now: float) -> None:
        """Forget keys whose attempts are all older than the window, then the oldest keys."""
        for key in list(self._seen):
            self._recent(key, now)
        excess = len(self._seen) - KEYS_MAX * 9 // 10
        for key in list(itertools.islice(self._seen, max(0, excess))):
            del self._seen[key]


#: Wrong passwords counted per account (by the username tried, so unknown names count the same) and
#: per client address, in this many seconds.
LOGIN_WINDOW = 15 * 60
LOGIN_PER_ACCOUNT = 5
LOGIN_PER_ADDRESS = 20


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
        self.login_accounts = Attempts(LOGIN_PER_ACCOUNT, LOGIN_WINDOW, clock)
        self.login_addresses = Attempts(LOGIN_PER_ADDRESS, LOGIN_WINDOW, clock)
        self.accounts = Limiter(settings.http_rate_accounts, clock, "accounts created")


def limits_of(conn: HTTPConnection) -> HttpLimits:
    limits: HttpLimits = conn.app.state.limits
    return limits


def client_address(conn: HTTPConnection) -> str:
    """The caller's address: the peer, or what a trusted proxy said in ``X-Forwarded-For`` (uvicorn
    rewrites the peer for proxies in ``forwarded_allow_ips``)."""
    client: Any = conn.client
    return str(client.host) if client is not None else "unknown"
