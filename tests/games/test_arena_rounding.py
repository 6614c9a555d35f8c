"""The arena's rounding is ``round`` itself: the same float for every input, halves and zeros included,
so a state and a replay come out as they always did."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomservice.games.arena import world

ROUNDERS = {1: world.round1, 2: world.round2, 3: world.round3, 4: world.round4}


def _near_halves(places: int, rng: random.Random) -> list[float]:
    """Decimal halves at ``places`` (12.3455 for 3) and the floats either side of them: where a product
    off by one unit in the last place would round the other way."""
    out: list[float] = []
    for _ in range(3000):
        k = rng.randrange(-40_000_000, 40_000_000)
        half = (k + 0.5) / 10**places
        out += [half, math.nextafter(half, math.inf), math.nextafter(half, -math.inf)]
    return out


@pytest.mark.parametrize("places", sorted(ROUNDERS))
def test_it_matches_round_at_halves_and_their_neighbours(places: int) -> None:
    rounded = ROUNDERS[places]
    for x in _near_halves(places, random.Random(places)):
        assert math.copysign(1.0, rounded(x)) == math.copysign(1.0, round(x, places))
        assert rounded(x) == round(x, places), x


@pytest.mark.parametrize("places", sorted(ROUNDERS))
def test_it_keeps_the_sign_of_zero_and_leaves_the_rest_to_round(places: int) -> None:
    rounded = ROUNDERS[places]
    for x in (0.0, -0.0, 1e-9, -1e-9, 0.00004, -0.00004, 1e12, -1e12, 5e-324):
        assert repr(rounded(x)) == repr(round(x, places))
    assert math.isnan(rounded(math.nan))
    assert rounded(math.inf) == math.inf and rounded(-math.inf) == -math.inf


@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(sorted(ROUNDERS)))
def test_it_matches_round_for_any_finite_float(x: float, places: int) -> None:
    assert repr(ROUNDERS[places](x)) == repr(round(x, places))


@given(st.floats(min_value=-40.0, max_value=40.0), st.sampled_from(sorted(ROUNDERS)))
def test_it_matches_round_in_the_arenas_range(x: float, places: int) -> None:
    assert repr(ROUNDERS[places](x)) == repr(round(x, places))
