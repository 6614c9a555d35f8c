"""Round scores and running totals: pure arithmetic, apart from turn flow so it is easy to test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from roomservice.games.cabo.cards import is_kamikaze

#: A total above this ends the game.
LIMIT = 100
#: A total of exactly ``LIMIT`` drops to this, once per player per game.
RESET_TO = 50
#: What a caller who is not (tied) lowest adds to their sum.
CALLER_PENALTY = 10
#: What every other player scores when someone holds the kamikaze hand.
KAMIKAZE_PENALTY = 50


def round_scores(hands: Mapping[str, Sequence[int]], caller: str | None) -> tuple[dict[str, int], str | None]:
    """Each player's score for the round, and the kamikaze player if there is one.

    A score is the sum of the hand; the caller scores 0 when their sum is lowest or tied for lowest,
    else their sum plus 10. A kamikaze hand (12, 12, 13, 13) overrides everything: 0 for its holder,
    50 for everyone else.
    """
    for player, ranks in hands.items():
        if is_kamikaze(list(ranks)):
            return {p: 0 if p == player else KAMIKAZE_PENALTY for p in hands}, player
    sums = {p: sum(ranks) for p, ranks in hands.items()}
    scores = dict(sums)
    if caller is not None:
        lowest = min(sums.values())
        scores[caller] = 0 if sums[caller] <= lowest else sums[caller] + CALLER_PENALTY
    return scores, None


def add_scores(
    totals: Mapping[str, int], scores: Mapping[str, int], resets_used: Sequence[str]
) -> tuple[dict[str, int], list[str]]:
    """New totals, and the players whose total was reset from exactly 100 to 50 this time.

    ``resets_used`` lists who already had their one reset this game; they are not reset again.
    """
    new_totals: dict[str, int] = {}
    reset: list[str] = []
    for player, total in totals.items():
        total += scores.get(player, 0)
        if total == LIMIT and player not in resets_used:
            total = RESET_TO
            reset.append(player)
        new_totals[player] = total
    return new_totals, reset


def game_over(totals: Mapping[str, int]) -> bool:
    return any(total > LIMIT for total in totals.values())


def winners(totals: Mapping[str, int], order: Sequence[str]) -> list[str]:
    """Everyone on the lowest total (ties share the win), in seating ``order``."""
    lowest = min(totals[p] for p in order)
    return [p for p in order if totals[p] == lowest]
