"""Turning raw measurements into numbers: percentiles, ratios, the printed table and the progress line."""

from __future__ import annotations

import sys
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import Any


def merge_latencies(chunks: Iterable[bytes]) -> array[int]:
    merged = array("q")
    for chunk in chunks:
        merged.frombytes(chunk)
    return merged


def latency_summary(values_us: array[int]) -> dict[str, float | None]:
    """p50, p99 and max in milliseconds (None when nothing was measured)."""
    if not values_us:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values_us)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000, 2)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": round(ordered[-1] / 1000, 2)}


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return round(value / base, 2)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table: ``columns`` are (key, heading) pairs."""
    cells = [[heading for _, heading in columns]]
    cells += [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [title]
    for n, r in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Progress:
    """One status line, rewritten in place on a terminal and printed every few seconds otherwise."""

    def __init__(self, stream: Any = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.stage = ""
        self._t0 = time.monotonic()
        self._last = 0.0
        self._last_count = 0

    def begin(self, stage: str) -> None:
        self.end()
        self.stage = stage
        self._t0 = self._last = time.monotonic()
        self._last_count = 0
        self._write(f"{stage} ...", force=True)

    def update(self, received: int, sent: int) -> None:
        now = time.monotonic()
        rate = (
            (received - self._last_count) / max(now - self._last, 1e-6) if received >= self._last_count else 0
        )
        if not self.tty and now - self._last < 2:
            return
        self._last, self._last_count = now, received
        self._write(
            f"{self.stage}  {now - self._t0:5.1f}s  received {received:,}  sent {sent:,}  ({rate:,.0f}/s)"
        )

    def note(self, text: str) -> None:
        self.end()
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def end(self) -> None:
        if self.tty and self.stage and not self.quiet:
            print(file=self.stream, flush=True)
        self.stage = ""

    def _write(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        if self.tty:
            print("\r\033[K" + text, end="", file=self.stream, flush=True)
        elif force or text:
            print(text, file=self.stream, flush=True)
