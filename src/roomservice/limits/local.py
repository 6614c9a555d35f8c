"""Rate-limit counters in this process's memory: one node alone."""

from __future__ import annotations

import itertools
import math
from collections import deque

from roomservice.types import Clock

#: Keys kept per limit; past that, full buckets (clients that came back to normal) and windows with
#: nothing recent are dropped, then the oldest keys.
KEYS_MAX = 100_000


class LocalBuckets:
    def __init__(self, per_minute: int, clock: Clock) -> None:
        self.per_minute = per_minute
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        #: key -> (tokens, time of that count)
        self._buckets: dict[str, tuple[float, float]] = {}

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + max(0.0, now - at) * self.rate)

    async def take(self, key: str) -> int:
        if self.capacity <= 0:
            return 0
        now = self.clock()
        tokens = self._level(key, now)
        if tokens < 1.0:
            return max(1, math.ceil((1.0 - tokens) / self.rate))
        if key not in self._buckets and len(self._buckets) >= KEYS_MAX:
            self._sweep(now)
        self._buckets[key] = (tokens - 1.0, now)
        return 0

    async def give_back(self, key: str) -> None:
        if self.capacity <= 0 or key not in self._buckets:
            return
        now = self.clock()
        self._buckets[key] = (min(self.capacity, self._level(key, now) + 1.0), now)

    def __len__(self) -> int:
        return len(self._buckets)

    def _sweep(self, now: float) -> None:
        """Forget full buckets, then the oldest, down to 90% of ``KEYS_MAX`` so sweeps stay rare."""
        full = [k for k in self._buckets if self._level(k, now) >= self.capacity]
        for key in full:
            del self._buckets[key]
        excess = len(self._buckets) - KEYS_MAX * 9 // 10
        for key in list(itertools.islice(self._buckets, max(0, excess))):
            del self._buckets[key]


class LocalWindow:
    def __init__(self, limit: int, seconds: float, clock: Clock) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._seen.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if not times:
            del self._seen[key]
            return None
        return times

    async def take(self, key: str) -> int:
        now = self.clock()
        times = self._recent(key, now)
        if times is not None and len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.seconds - now))
        if times is None:
            if len(self._seen) >= KEYS_MAX:
                self._sweep(now)
            times = self._seen[key] = deque()
        times.append(now)
        return 0

    async def forgive(self, key: str) -> None:
        times = self._seen.get(key)
        if times:
            times.pop()
            if not times:
                del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)

    def _sweep(self, now: float) -> None:
        """Forget keys whose attempts are all older than the window, then the oldest keys."""
        for key in list(self._seen):
            self._recent(key, now)
        excess = len(self._seen) - KEYS_MAX * 9 // 10
        for key in list(itertools.islice(self._seen, max(0, excess))):
            del self._seen[key]


class LocalCounters:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def buckets(self, name: str, per_minute: int) -> LocalBuckets:
        return LocalBuckets(per_minute, self.clock)

    def window(self, name: str, limit: int, seconds: float) -> LocalWindow:
        return LocalWindow(limit, seconds, self.clock)

    async def aclose(self) -> None:
        pass
