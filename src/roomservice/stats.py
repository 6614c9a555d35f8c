"""What the server counts about itself, in plain integers and floats.

The hot paths (every frame written or read, every published frame, every tick) only add to numbers
here: no locks, no label lookups, no library call. The Prometheus exposition (``web.metrics``) reads
them when it is scraped. A server with metrics turned off has no :class:`Stats` at all, and the hot
paths skip the counting (``if stats is not None``).

Everything runs on the event loop's thread, so plain ``+=`` is safe; a scrape from another thread may
see a histogram mid-update (its count one ahead of a bucket), which Prometheus tolerates.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence

#: Seconds: from 50 µs to 2.5 s, for in-process latencies (fan-out, tick lateness, commits).
LATENCY_BUCKETS: tuple[float, ...] = (
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
#: Seconds, for HTTP requests: 1 ms to 10 s.
HTTP_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
#: Entries written in one journal transaction.
BATCH_BUCKETS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Histogram:
    """Observations counted into fixed buckets (upper bounds, ``le``); the last slot is ``+Inf``."""

    __slots__ = ("bounds", "buckets", "count", "sum")

    def __init__(self, bounds: Sequence[float] = LATENCY_BUCKETS) -> None:
        self.bounds = tuple(bounds)
        #: Per bucket, not cumulative: ``buckets[i]`` counts values in ``(bounds[i-1], bounds[i]]``.
        self.buckets = [0] * (len(self.bounds) + 1)
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.buckets[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, count)`` pairs as Prometheus writes them, ending with ``+Inf``."""
        out: list[tuple[str, int]] = []
        running = 0
        for bound, n in zip((*self.bounds, float("inf")), self.buckets, strict=True):
            running += n
            out.append(("+Inf" if bound == float("inf") else repr(float(bound)), running))
        return out


@dataclasses.dataclass(eq=False)
class Stats:
    """One node's counters. ``frames_*`` and ``bytes_*`` count WebSocket frames, and their size with
    the frame headers (not TCP's or TLS's), as written to and read from sockets by either transport."""

    frames_in: int = 0
    frames_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    #: Sockets accepted and not yet ended.
    sockets_open: int = 0
    #: Seconds a published frame takes to reach every receiver's outbox on this node.
    fanout: Histogram = dataclasses.field(default_factory=Histogram)
    #: ``(game, code)`` → actions: ``accepted``, or the code they were refused with.
    actions: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    #: Seconds one journal transaction takes, and the entries in it.
    journal_commit: Histogram = dataclasses.field(default_factory=Histogram)
    journal_batch: Histogram = dataclasses.field(default_factory=lambda: Histogram(BATCH_BUCKETS))
    #: Game id → seconds a real-time game's ticks ran after their due time.
    tick_lateness: dict[str, Histogram] = dataclasses.field(default_factory=dict)
    #: ``(method, route, status)`` → requests; ``(method, route)`` → their durations.
    http_requests: dict[tuple[str, str, str], int] = dataclasses.field(default_factory=dict)
    http_seconds: dict[tuple[str, str], Histogram] = dataclasses.field(default_factory=dict)

    def action(self, game: str, code: str) -> None:
        key = (game, code)
        self.actions[key] = self.actions.get(key, 0) + 1

    def tick_late(self, game: str, seconds: float) -> None:
        histogram = self.tick_lateness.get(game)
        if histogram is None:
            histogram = self.tick_lateness[game] = Histogram()
        histogram.observe(seconds)

    def http(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        self.http_requests[key] = self.http_requests.get(key, 0) + 1
        histogram = self.http_seconds.get((method, route))
        if histogram is None:
            histogram = self.http_seconds[(method, route)] = Histogram(HTTP_BUCKETS)
        histogram.observe(seconds)


def frame_bytes(text: str, masked: bool = False) -> int:
    """The size of a text frame carrying ``text``: its UTF-8 payload (not encoded when it is ASCII,
    the common case) and the frame header, with the 4-byte mask a client's frames carry."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    header = 2 if size < 126 else 4 if size < 65536 else 10
    return size + header + (4 if masked else 0)
