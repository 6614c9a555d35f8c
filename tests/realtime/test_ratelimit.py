"""The per-socket token bucket and its flood meter, on a clock the test moves: no sleeping."""

from __future__ import annotations

from roomservice.realtime.ratelimit import FLOOD_SECONDS, TokenBucket
from tests.conftest import FakeClock

RATE, BURST = 5.0, 10


def _send(bucket: TokenBucket, clock: FakeClock, per_second: float, seconds: float) -> list[bool]:
    """Frames at a steady rate for ``seconds``; whether each was taken."""
    taken = []
    for _ in range(round(per_second * seconds)):
        clock.advance(1 / per_second)
        taken.append(bucket.take())
    return taken


def _flooding_after(per_second: float, seconds: float) -> bool:
    clock = FakeClock()
    bucket = TokenBucket(RATE, BURST, clock)
    _send(bucket, clock, per_second, seconds)
    return bucket.flooding()


def test_ten_times_the_rate_still_lets_frames_through_but_is_a_flood_after_two_seconds() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RATE, BURST, clock)
    taken = _send(bucket, clock, 10 * RATE, FLOOD_SECONDS)
    assert 0 < taken[-50:].count(True) <= 6  # refusing alone never ends it: one in ten gets through
    assert not bucket.flooding()  # a flood of exactly 2 s (its burst included) is not over the line
    _send(bucket, clock, 10 * RATE, 0.5)
    assert bucket.flooding()


def test_just_above_twice_the_rate_is_a_flood() -> None:
    assert _flooding_after(2.5 * RATE, 20)


def test_up_to_twice_the_rate_is_never_a_flood() -> None:
    assert not _flooding_after(2 * RATE, 60)
    assert not _flooding_after(1.9 * RATE, 60)


def test_a_burst_and_then_the_rate_is_never_a_flood() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RATE, BURST, clock)
    assert all(bucket.take() for _ in range(BURST))  # all at once
    assert all(_send(bucket, clock, RATE, 60))
    assert not bucket.flooding()


def test_a_burst_a_second_is_never_a_flood() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RATE, BURST, clock)
    for _ in range(60):
        for _ in range(BURST):
            bucket.take()
        assert not bucket.flooding()
        clock.advance(1.0)


def test_a_short_flood_then_calm_is_forgiven_at_once() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RATE, BURST, clock)
    _send(bucket, clock, 10 * RATE, 1.9)
    assert not bucket.flooding()
    _send(bucket, clock, 1.5 * RATE, 1)  # a frame behind the flood rate: the flood is over
    _send(bucket, clock, 10 * RATE, 1.9)
    assert not bucket.flooding()


def test_a_long_flood_is_forgotten_as_soon_as_the_sender_slows_down() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RATE, BURST, clock)
    _send(bucket, clock, 10 * RATE, 30)
    assert bucket.flooding()
    _send(bucket, clock, 1.5 * RATE, 1)
    assert not bucket.flooding()


def test_no_limit_means_no_flood() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0, BURST, clock)
    assert all(_send(bucket, clock, 1000, 1))
    assert not bucket.flooding()
