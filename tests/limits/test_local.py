"""The in-process counters: what they hold in memory stays bounded."""

from __future__ import annotations

import pytest

from roomservice.limits import local
from tests.conftest import FakeClock


async def test_buckets_held_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "KEYS_MAX", 100)
    buckets = local.LocalBuckets(10, FakeClock())
    for i in range(1000):
        await buckets.take(f"10.0.{i // 250}.{i % 250}")
    assert len(buckets) <= 100
    # Forgetting takes full buckets and the oldest first: a client limited just now keeps its count.
    for _ in range(10):
        await buckets.take("203.0.113.1")
    assert await buckets.take("203.0.113.1") > 0


async def test_windows_held_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "KEYS_MAX", 100)
    window = local.LocalWindow(2, 60, FakeClock())
    for i in range(1000):
        await window.take(f"user{i}")
    assert len(window) <= 100
