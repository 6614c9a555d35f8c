"""The rate-limit counters seam: token buckets and sliding windows, counted per key.

Contract (every implementation, checked by ``tests/limits``):

- A bucket of ``per_minute`` holds up to ``per_minute`` tokens and refills ``per_minute`` a minute, so a
  key may spend them all at once and then one every ``60 / per_minute`` seconds. ``take`` spends one and
  answers 0, or spends nothing and answers the whole seconds (at least 1) until one is back.
  ``give_back`` returns one token, never above ``per_minute``. ``per_minute == 0`` never refuses.
- A window of ``limit`` in ``seconds`` counts attempts: ``take`` counts one and answers 0 unless
  ``limit`` were counted in the last ``seconds``; then it counts nothing and answers the whole seconds
  (at least 1) until the oldest of them leaves the window. ``forgive`` uncounts the newest attempt.
  Checking and counting are one step, so parallel attempts cannot all pass one check.
- Keys of one name are counted apart from each other and from keys of other names.
- Time is the implementation's clock (wall seconds); every node of a cluster counts in one place, so
  a limit holds for the cluster as a whole, not per node.
- An implementation on a networked store raises ``ClusterUnavailable`` when the store does not answer.
"""

from __future__ import annotations

from typing import Protocol


class Buckets(Protocol):
    """Token buckets of one limit, one per key."""

    per_minute: int

    async def take(self, key: str) -> int:
        """Spend one token of ``key``: 0, or (nothing spent) whole seconds until one is back."""

    async def give_back(self, key: str) -> None:
        """Return a token taken for something that turned out not to count."""


class Window(Protocol):
    """At most ``limit`` attempts per key in any ``seconds``."""

    async def take(self, key: str) -> int:
        """Count one attempt of ``key``: 0, or (nothing counted) whole seconds until one more counts."""

    async def forgive(self, key: str) -> None:
        """Uncount the newest attempt of ``key``: it turned out right."""


class Counters(Protocol):
    """Where a node's rate limits are counted; ``name`` keeps the limits' keys apart."""

    def buckets(self, name: str, per_minute: int) -> Buckets: ...

    def window(self, name: str, limit: int, seconds: float) -> Window: ...

    async def aclose(self) -> None: ...
