"""A token bucket per connection."""

from __future__ import annotations

from roomservice.types import Clock


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``rate <= 0`` means unlimited."""

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._clock = clock
        self._tokens = float(self.burst)
        self._last = clock()

    def take(self) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
