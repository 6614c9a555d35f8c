"""The HTTP routes' rate limits: token buckets for what costs the server most (sessions, rooms,
passwords, accounts) and the log-in throttle, which counts wrong passwords in a sliding window.

Each bucket limit is "N a minute": a bucket holds up to N tokens and refills N per minute, so a client
may spend N at once and then one every 60/N seconds. The counting is the node's ``Counters``
(``roomservice.limits``): in memory for one node alone, in Redis for a node of several, so a limit
holds for the cluster as a whole. Time comes from the app's clock, so tests move it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from roomservice.config import Settings
from roomservice.errors import RoomServiceError
from roomservice.limits.base import Buckets, Counters, Window


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


class Limiter:
    """``per_minute`` events per key and minute (``0`` never refuses), counted in ``buckets``."""

    def __init__(self, buckets: Buckets, what: str) -> None:
        self.buckets = buckets
        self.what = what

    async def take(self, key: str) -> None:
        """Spend one token of ``key``, or raise :class:`RateLimited` saying when one is back."""
        wait = await self.buckets.take(key)
        if wait:
            raise RateLimited(self.what, wait)

    async def give_back(self, key: str) -> None:
        """Return a token taken for an attempt that turned out not to count."""
        await self.buckets.give_back(key)


class Attempts:
    """At most ``limit`` attempts per key in any ``window`` seconds, each counted when it is made (so a
    burst of parallel attempts cannot slip past while the first ones are verified) and given back when
    it turned out right (:meth:`forgive`)."""

    def __init__(self, window: Window) -> None:
        self.window = window

    async def take(self, key: str) -> None:
        """Count one attempt of ``key``, or raise :class:`TooManyAttempts` (nothing counted)."""
        wait = await self.window.take(key)
        if wait:
            raise TooManyAttempts(wait)

    async def forgive(self, key: str) -> None:
        """Give back the newest attempt of ``key``: it was right, or it did not count."""
        await self.window.forgive(key)


#: Wrong passwords counted per account (by the username tried, so unknown names count the same) and
#: per client address, in this many seconds.
LOGIN_WINDOW = 15 * 60
LOGIN_PER_ACCOUNT = 5
LOGIN_PER_ADDRESS = 20


class HttpLimits:
    """The app's limiters, built from settings (``http_rate_*``) on the node's counters."""

    def __init__(self, settings: Settings, counters: Counters) -> None:
        def limiter(name: str, per_minute: int, what: str) -> Limiter:
            return Limiter(counters.buckets(name, per_minute), what)

        self.sessions = limiter("sessions", settings.http_rate_sessions, "sessions created")
        self.rooms = limiter("rooms", settings.http_rate_rooms, "rooms created")
        self.passwords = limiter("passwords", settings.http_rate_passwords, "password attempts")
        self.room_passwords = limiter(
            "room-passwords", settings.http_rate_room_passwords, "password attempts"
        )
        self.login_accounts = Attempts(counters.window("login-account", LOGIN_PER_ACCOUNT, LOGIN_WINDOW))
        self.login_addresses = Attempts(counters.window("login-address", LOGIN_PER_ADDRESS, LOGIN_WINDOW))
        self.accounts = limiter("accounts", settings.http_rate_accounts, "accounts created")


def limits_of(conn: HTTPConnection) -> HttpLimits:
    limits: HttpLimits = conn.app.state.limits
    return limits


def client_address(conn: HTTPConnection) -> str:
    """The caller's address: the peer, or what a trusted proxy said in ``X-Forwarded-For`` (uvicorn
    rewrites the peer for proxies in ``forwarded_allow_ips``)."""
    client: Any = conn.client
    return str(client.host) if client is not None else "unknown"
