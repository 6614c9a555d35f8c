"""A token bucket per connection, which also tells a sustained flood from a burst."""

from __future__ import annotations

from roomservice.types import Clock

#: A sender above this many times the rate (beyond one burst) is flooding ...
FLOOD_FACTOR = 2.0
#: ... and is closed with 1008 once it has kept that up for longer than this many seconds.
FLOOD_SECONDS = 2.0


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``rate <= 0`` means unlimited.

    Every frame, taken or refused, also goes through a meter that drains at ``FLOOD_FACTOR * rate``
    and holds ``burst``: a sender is above that rate while the meter overflows. Refusing frames alone
    never ends a flood (a sender at ten times the rate still gets one frame in ten through), so the
    meter decides when the socket is closed. The meter holds at most one frame beyond the burst, so
    a flood ends as soon as the sender falls one frame behind the flood rate, however long it lasted.
    """

    __slots__ = ("_clock", "_last", "_level", "_over_since", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._clock = clock
        self._tokens = float(self.burst)
        self._level = 0.0
        self._over_since: float | None = None
        self._last = clock()

    def adjust(self, rate: float, burst: int) -> None:
        """Change the allowance (a real-time game started or ended in the socket's room); the tokens
        and the flood meter carry over, the flood rule follows the new rate."""
        if rate == self.rate and burst == self.burst:
            return
        self.rate = rate
        self.burst = max(burst, 1)
        self._tokens = min(self._tokens, float(self.burst))
        self._level = min(self._level, self.burst + 1.0)

    def take(self) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        level = max(0.0, self._level - elapsed * FLOOD_FACTOR * self.rate) + 1
        self._level = min(level, self.burst + 1.0)
        if level <= self.burst:
            self._over_since = None
        elif self._over_since is None:
            self._over_since = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def flooding(self) -> bool:
        """Whether the frames taken so far have run above the flood rate for longer than FLOOD_SECONDS."""
        return self._over_since is not None and self._last - self._over_since > FLOOD_SECONDS
