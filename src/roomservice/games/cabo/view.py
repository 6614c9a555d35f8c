"""What one viewer may see of a Cabo state: the single exit for hidden cards."""

from __future__ import annotations

from typing import Any

from roomservice.games.base import epoch_ms
from roomservice.games.cabo.flow import DRAWN, GAME_OVER, ROUND_OVER, S, clone, gone


def visible_rank(card: dict[str, Any], viewer: str | None, revealed: bool) -> int | None:
    """The rank ``viewer`` may see on ``card``, or ``None`` while it is hidden from them."""
    if revealed or card["up"] or (viewer is not None and viewer in card["known"]):
        rank: int = card["rank"]
        return rank
    return None


def view(s: S, viewer: str | None) -> dict[str, Any]:
    """The view of ``viewer`` (``None``, or anyone not seated, is a spectator).

    Own cards show their rank where the viewer knows them; others' cards only when face up or
    spied; everything once the round is over. The drawn card is shown only to its drawer and the
    draw pile only as a count.
    """
    me = viewer if viewer in s["players"] and viewer not in gone(s) else None
    revealed = s["phase"] in (ROUND_OVER, GAME_OVER)
    hands = {
        player: [
            {"rank": visible_rank(card, me, revealed), "face_up": card["up"]} for card in s["hands"][player]
        ]
        for player in s["players"]
    }
    drawn = s["drawn"]["rank"] if s["phase"] == DRAWN and me == s["turn"] else None
    return {
        "phase": s["phase"],
        "round": s["round"],
        "players": list(s["players"]),
        "you": me,
        "starter": s["players"][s["starter"]],
        "turn": s["turn"],
        "caller": s["caller"],
        "ready": list(s["ready"]),
        "deadline": epoch_ms(s["deadline"]),
        "turn_timer": s["options"]["turn_timer"],
        "deck_count": len(s["deck"]),
        "discard_top": s["discard"][-1] if s["discard"] else None,
        "discard_count": len(s["discard"]),
        "hands": hands,
        "drawn": drawn,
        "power": s["power"],
        "totals": dict(s["totals"]),
        "resets_used": list(s["resets_used"]),
        "last_round": clone(s["last_round"]),
        "winners": None if s["winners"] is None else list(s["winners"]),
        "gone": dict(gone(s)),
    }
