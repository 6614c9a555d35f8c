"""The Cabo deck and what each rank does.

Ranks are plain ints 0..13 so the state stays JSON. A card in a hand is a dict
``{"rank": int, "up": bool, "known": [player ids]}``: ``up`` means face up to everyone for the
rest of the round, ``known`` lists the players who have seen it while face down. The dict moves with
the card, so knowledge follows the card and not the position.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

#: Two 0s, four each of 1..12, two 13s: 52 cards.
DECK_COUNTS: dict[int, int] = {0: 2, **{rank: 4 for rank in range(1, 13)}, 13: 2}
DECK_SIZE = sum(DECK_COUNTS.values())
HAND_SIZE = 4
#: How many of their own cards each player looks at during the setup phase.
INITIAL_PEEKS = 2

#: The power a discarded (freshly drawn) card grants.
POWERS: dict[int, str] = {7: "peek", 8: "peek", 9: "spy", 10: "spy", 11: "swap", 12: "swap"}

#: A hand of exactly these ranks scores 0 and every other player 50.
KAMIKAZE: tuple[int, ...] = (12, 12, 13, 13)

Card = dict[str, Any]


def full_deck() -> list[int]:
    """The 52 ranks in ascending order (shuffle before dealing)."""
    return [rank for rank, count in sorted(DECK_COUNTS.items()) for _ in range(count)]


def is_full_deck(cards: object) -> bool:
    """True when ``cards`` is a list holding exactly the ranks of one deck, in any order."""
    if not isinstance(cards, list) or len(cards) != DECK_SIZE:
        return False
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in cards):
        return False
    return Counter(cards) == Counter(DECK_COUNTS)


def new_card(rank: int, *, up: bool = False, known: list[str] | None = None) -> Card:
    return {"rank": rank, "up": up, "known": list(known or [])}


def is_kamikaze(ranks: list[int]) -> bool:
    return tuple(sorted(ranks)) == KAMIKAZE
