"""A Cabo strategy that plays from its own view only, as a person would.

It keeps low cards, uses every power, goes for matched multi-card exchanges when it knows a pair,
sometimes gambles on an unseen pair (a mismatch costs a penalty card), calls Cabo on a low known hand,
and, dealt 12, 12 and a 13, plays for kamikaze. ``boldness`` (0..1) sets how often it gambles.
"""

from __future__ import annotations

import random
from typing import Any

KAMIKAZE = [12, 12, 13, 13]


def _ranks(view: dict[str, Any], player: str) -> list[int | None]:
    return [card["rank"] for card in view["hands"][player]]


def _unknown(ranks: list[int | None]) -> list[int]:
    return [i for i, rank in enumerate(ranks) if rank is None]


def _highest_known(ranks: list[int | None]) -> int | None:
    known = [(rank, i) for i, rank in enumerate(ranks) if rank is not None]
    return max(known)[1] if known else None


def _pair(ranks: list[int | None]) -> list[int] | None:
    """Two or more known cards of the same rank, highest rank first."""
    by_rank: dict[int, list[int]] = {}
    for i, rank in enumerate(ranks):
        if rank is not None:
            by_rank.setdefault(rank, []).append(i)
    pairs = sorted((rank, where) for rank, where in by_rank.items() if len(where) > 1)
    return pairs[-1][1] if pairs else None


def _kamikaze_hopeful(ranks: list[int | None]) -> bool:
    known = sorted(rank for rank in ranks if rank is not None)
    return len(ranks) == 4 and len(known) >= 2 and all(rank in (12, 13) for rank in known)


def _others(view: dict[str, Any], me: str) -> list[str]:
    """The other players still seated: one who is gone cannot be spied on or swapped with."""
    gone = view.get("gone") or {}
    return [p for p in view["players"] if p != me and p not in gone]


def choose(
    view: dict[str, Any], me: str, rng: random.Random, boldness: float = 0.25
) -> dict[str, Any] | None:
    phase = view["phase"]
    if phase == "setup":
        return None if me in view["ready"] else {"move": "peek_initial", "cards": [0, 1]}
    if phase == "round_over":
        return {"move": "next_round"}
    if view["turn"] != me:
        return None
    ranks = _ranks(view, me)
    hoping = _kamikaze_hopeful(ranks)
    if phase == "turn":
        return _turn(view, me, ranks, hoping, rng, boldness)
    if phase == "drawn":
        return _drawn(view, ranks, hoping, rng, boldness)
    if phase == "power":
        return _power(view, me, ranks, hoping, rng)
    return None


def _turn(
    view: dict[str, Any], me: str, ranks: list[int | None], hoping: bool, rng: random.Random, boldness: float
) -> dict[str, Any]:
    known = [rank for rank in ranks if rank is not None]
    if view["caller"] is None and not hoping and len(known) == len(ranks) and sum(known) <= 12:
        return {"move": "cabo"}
    if view["caller"] is None and not hoping and rng.random() < boldness / 6:
        return {"move": "cabo"}
    top = view["discard_top"]
    worst = _highest_known(ranks)
    if not hoping and top is not None and top <= 2 and worst is not None and (ranks[worst] or 0) > top + 3:
        return {"move": "take_discard", "cards": [worst]}
    return {"move": "draw"}


def _drawn(
    view: dict[str, Any], ranks: list[int | None], hoping: bool, rng: random.Random, boldness: float
) -> dict[str, Any]:
    drawn: int = view["drawn"]
    if hoping:
        return {"move": "discard"}
    pair = _pair(ranks)
    if pair is not None and ranks[pair[0]] is not None and drawn < (ranks[pair[0]] or 0) * len(pair):
        return {"move": "exchange", "cards": pair}
    worst = _highest_known(ranks)
    unknown = _unknown(ranks)
    if worst is not None and unknown and rng.random() < boldness and (ranks[worst] or 0) >= 6:
        # A gamble: claim the unseen card matches the worst known one.
        return {"move": "exchange", "cards": [worst, rng.choice(unknown)]}
    if worst is not None and (ranks[worst] or 0) > drawn:
        return {"move": "exchange", "cards": [worst]}
    if unknown and drawn <= 4:
        return {"move": "exchange", "cards": [rng.choice(unknown)]}
    return {"move": "discard"}


def _power(
    view: dict[str, Any], me: str, ranks: list[int | None], hoping: bool, rng: random.Random
) -> dict[str, Any]:
    power = view["power"]
    others = _others(view, me)
    if power == "peek":
        unknown = _unknown(ranks)
        return {"move": "peek", "card": rng.choice(unknown)} if unknown else {"move": "skip_power"}
    target = rng.choice(others)
    their = len(view["hands"][target])
    if power == "spy":
        return {"move": "spy", "player": target, "card": rng.randrange(their)}
    if power == "swap" and not hoping:
        worst = _highest_known(ranks)
        if worst is not None and (ranks[worst] or 0) >= 5:
            return {"move": "swap", "card": worst, "player": target, "their_card": rng.randrange(their)}
    return {"move": "skip_power"}
