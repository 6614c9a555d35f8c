"""The Cabo deck and the scoring arithmetic, tested as plain functions."""

from __future__ import annotations

from collections import Counter

import pytest

from roomservice.games.cabo.cards import POWERS, full_deck, is_full_deck, is_kamikaze
from roomservice.games.cabo.scoring import add_scores, game_over, round_scores, winners


def test_deck_composition() -> None:
    deck = full_deck()
    assert len(deck) == 52
    counts = Counter(deck)
    assert counts[0] == 2 and counts[13] == 2
    assert all(counts[rank] == 4 for rank in range(1, 13))
    assert set(counts) == set(range(14))


def test_is_full_deck() -> None:
    assert is_full_deck(list(reversed(full_deck())))
    assert not is_full_deck(full_deck()[:-1])
    assert not is_full_deck([*full_deck()[:-1], 0])  # three 0s, one 13
    assert not is_full_deck([True if r == 1 else r for r in full_deck()])
    assert not is_full_deck("0123")
    assert not is_full_deck(tuple(full_deck()))


def test_powers() -> None:
    assert {rank: POWERS.get(rank) for rank in range(14)} == {
        **{rank: None for rank in range(14)},
        7: "peek",
        8: "peek",
        9: "spy",
        10: "spy",
        11: "swap",
        12: "swap",
    }


def test_sums_without_caller() -> None:
    assert round_scores({"a": [1, 2, 3], "b": [0, 13]}, None) == ({"a": 6, "b": 13}, None)


def test_caller_lowest_scores_zero() -> None:
    assert round_scores({"a": [1, 2], "b": [5, 5], "c": [9]}, "a") == (
        {"a": 0, "b": 10, "c": 9},
        None,
    )


def test_caller_tied_for_lowest_scores_zero() -> None:
    assert round_scores({"a": [4, 4], "b": [8], "c": [9]}, "a")[0] == {"a": 0, "b": 8, "c": 9}


def test_caller_not_lowest_gets_sum_plus_ten() -> None:
    assert round_scores({"a": [5, 5], "b": [3], "c": [12]}, "a")[0] == {"a": 20, "b": 3, "c": 12}


def test_kamikaze() -> None:
    assert is_kamikaze([13, 12, 13, 12])
    assert not is_kamikaze([12, 12, 13])
    assert not is_kamikaze([12, 12, 13, 13, 0])
    scores, kamikaze = round_scores({"a": [1], "b": [13, 12, 12, 13], "c": [0, 0]}, "a")
    assert kamikaze == "b"
    assert scores == {"a": 50, "b": 0, "c": 50}


def test_totals_carry_over() -> None:
    assert add_scores({"a": 10, "b": 20}, {"a": 5, "b": 0}, []) == ({"a": 15, "b": 20}, [])


def test_exactly_100_resets_to_50_once_per_player() -> None:
    totals, reset = add_scores({"a": 90, "b": 90}, {"a": 10, "b": 9}, [])
    assert (totals, reset) == ({"a": 50, "b": 99}, ["a"])
    totals, reset = add_scores({"a": 90, "b": 91}, {"a": 10, "b": 9}, ["a"])
    assert (totals, reset) == ({"a": 100, "b": 50}, ["b"])


@pytest.mark.parametrize(("totals", "over"), [({"a": 100, "b": 3}, False), ({"a": 101, "b": 3}, True)])
def test_game_ends_above_100(totals: dict[str, int], over: bool) -> None:
    assert game_over(totals) is over


def test_lowest_total_wins_and_ties_share() -> None:
    assert winners({"a": 101, "b": 40, "c": 60}, ["a", "b", "c"]) == ["b"]
    assert winners({"a": 101, "b": 40, "c": 40}, ["c", "a", "b"]) == ["c", "b"]
