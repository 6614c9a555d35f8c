"""One function per ``move`` of an action payload: validate the payload, then change the state.

Every function takes a deep copy of the state (see ``Cabo.apply``), the acting player, the payload
and the context, and returns the events. Validation always comes before the first change, and a
refusal raises :class:`InvalidAction`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import roomservice.games.cabo.flow as flow
from roomservice.games.base import Context, Event, InvalidAction
from roomservice.games.cabo.cards import INITIAL_PEEKS, POWERS, new_card
from roomservice.games.cabo.flow import DRAWN, POWER, ROUND_OVER, SETUP, TURN, TURN_PHASES, S

Move = Callable[[S, str, dict[str, Any], Context], list[Event]]


# -- payload checks ------------------------------------------------------------------------------


def _int(action: dict[str, Any], key: str) -> int:
    value = action.get(key)
    # bool is an int subclass; ``true`` is a client bug, not card 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAction("invalid_action", f"{key!r} must be an integer.")
    return value


def _card(action: dict[str, Any], key: str, hand: list[Any]) -> int:
    index = _int(action, key)
    if not 0 <= index < len(hand):
        raise InvalidAction("invalid_card", f"No card {index}: positions are 0..{len(hand) - 1}.")
    return index


def _cards(action: dict[str, Any], hand: list[Any], count: int | None = None) -> list[int]:
    """A list of distinct positions in ``hand``; exactly ``count`` of them if given."""
    value = action.get("cards")
    if not isinstance(value, list) or not value:
        raise InvalidAction("invalid_action", "'cards' must be a non-empty list of positions.")
    indexes = [_card({"card": v}, "card", hand) for v in value]
    if len(set(indexes)) != len(indexes):
        raise InvalidAction("invalid_card", "Each card may be named only once.")
    if count is not None and len(indexes) != count:
        raise InvalidAction("invalid_card", f"Choose exactly {count} cards.")
    return indexes


def _opponent(s: S, player: str, action: dict[str, Any]) -> str:
    target = action.get("player")
    if not isinstance(target, str):
        raise InvalidAction("invalid_action", "'player' must be a player id.")
    if target == player or target not in flow.active(s):
        raise InvalidAction("invalid_player", "Choose another player in this game.")
    return target


def _my_turn(s: S, player: str, phase: str) -> None:
    """Refuse unless it is ``player``'s turn and the turn is in ``phase``."""
    if s["phase"] in TURN_PHASES and s["turn"] != player:
        raise InvalidAction("not_your_turn", "It is not your turn.")
    if s["phase"] != phase:
        raise InvalidAction("wrong_phase", f"You can't do that now (phase {s['phase']!r}).")


def _power(s: S, player: str, power: str) -> None:
    _my_turn(s, player, POWER)
    if s["power"] != power:
        raise InvalidAction("wrong_power", f"Your discard lets you {s['power']}, not {power}.")


# -- exchanging ----------------------------------------------------------------------------------


def _exchange(s: S, player: str, rank: int, cards: list[int], source: str) -> list[Event]:
    """Swap ``rank`` in for ``cards``; several cards must all match, else they are revealed and
    the new card joins the hand as a penalty."""
    hand: list[Any] = s["hands"][player]
    up = source == "discard"  # a card taken from the discard pile stays face up
    card = new_card(rank, up=up, known=[] if up else [player])
    ranks = [hand[i]["rank"] for i in cards]
    matched = len(set(ranks)) == 1
    if matched:
        place = min(cards)
        s["discard"].extend(ranks)
        s["hands"][player] = [
            card if i == place else c for i, c in enumerate(hand) if i == place or i not in cards
        ]
    else:
        for i in cards:
            hand[i]["up"] = True
        hand.append(card)
        place = len(hand) - 1
    data = {
        "player": player,
        "source": source,
        "cards": cards,
        "ranks": ranks,
        "matched": matched,
        "card": place,
        "rank": rank if up else None,
    }
    return [Event("exchanged", data)]


# -- the moves -----------------------------------------------------------------------------------


def peek_initial(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    if s["phase"] != SETUP:
        raise InvalidAction("wrong_phase", "The initial peek is only during setup.")
    if player in s["ready"]:
        raise InvalidAction("already_peeked", "You have already looked at your two cards.")
    cards = _cards(action, s["hands"][player], INITIAL_PEEKS)
    events: list[Event] = []
    flow.initial_peek(s, player, cards, events)
    if all(p in s["ready"] for p in flow.active(s)):
        flow.start_play(s, ctx, events)
    return events


def draw(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _my_turn(s, player, TURN)
    if not s["deck"]:  # unreachable by the rules (the round ends first); kept as a guard
        raise InvalidAction("deck_empty", "The draw pile is empty.")
    rank = s["deck"].pop(0)
    s.update(phase=DRAWN, drawn={"rank": rank})
    return [
        Event("drew", {"player": player, "deck_count": len(s["deck"])}),
        Event("drew_card", {"rank": rank}, to=(player,)),
    ]


def take_discard(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _my_turn(s, player, TURN)
    cards = _cards(action, s["hands"][player])
    if not s["discard"]:
        raise InvalidAction("discard_empty", "The discard pile is empty.")
    rank = s["discard"].pop()
    events = [Event("took_discard", {"player": player, "rank": rank})]
    events += _exchange(s, player, rank, cards, "discard")
    flow.end_turn(s, ctx, events)
    return events


def exchange(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _my_turn(s, player, DRAWN)
    cards = _cards(action, s["hands"][player])
    rank = s["drawn"]["rank"]
    s["drawn"] = None
    events = _exchange(s, player, rank, cards, "deck")
    flow.end_turn(s, ctx, events)
    return events


def discard(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _my_turn(s, player, DRAWN)
    return discard_drawn(s, player, ctx, with_power=True)


def discard_drawn(s: S, player: str, ctx: Context, *, with_power: bool) -> list[Event]:
    """Discard the drawn card; a 7..12 opens the power phase unless ``with_power`` is false."""
    rank = s["drawn"]["rank"]
    s["discard"].append(rank)
    s["drawn"] = None
    power = POWERS.get(rank) if with_power else None
    events = [Event("discarded", {"player": player, "rank": rank, "power": power})]
    if power is None:
        flow.end_turn(s, ctx, events)
    else:
        s.update(phase=POWER, power=power)
    return events


def peek(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _power(s, player, "peek")
    hand = s["hands"][player]
    i = _card(action, "card", hand)
    if player not in hand[i]["known"]:
        hand[i]["known"].append(player)
    events = [
        Event("peeked", {"player": player, "card": i}),
        Event("peek_result", {"card": i, "rank": hand[i]["rank"]}, to=(player,)),
    ]
    flow.end_turn(s, ctx, events)
    return events


def spy(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _power(s, player, "spy")
    target = _opponent(s, player, action)
    hand = s["hands"][target]
    i = _card(action, "card", hand)
    if player not in hand[i]["known"]:
        hand[i]["known"].append(player)
    events = [
        Event("spied", {"player": player, "target": target, "card": i}),
        Event("spy_result", {"target": target, "card": i, "rank": hand[i]["rank"]}, to=(player,)),
    ]
    flow.end_turn(s, ctx, events)
    return events


def swap(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _power(s, player, "swap")
    mine = s["hands"][player]
    i = _card(action, "card", mine)
    target = _opponent(s, player, action)
    theirs = s["hands"][target]
    j = _card(action, "their_card", theirs)
    mine[i], theirs[j] = theirs[j], mine[i]
    # The swap is done unseen: nobody knows a face-down card that moved (face-up ones stay up).
    mine[i]["known"] = []
    theirs[j]["known"] = []
    data = {"player": player, "card": i, "target": target, "their_card": j}
    events = [Event("swapped", data)]
    flow.end_turn(s, ctx, events)
    return events


def skip_power(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _my_turn(s, player, POWER)
    events = [Event("power_skipped", {"player": player, "power": s["power"]})]
    flow.end_turn(s, ctx, events)
    return events


def cabo(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    _my_turn(s, player, TURN)
    if s["caller"] is not None:
        raise InvalidAction("cabo_already_called", f"{s['caller']} has already called Cabo.")
    s["caller"] = player
    events = [Event("cabo", {"player": player})]
    flow.end_turn(s, ctx, events)
    return events


def next_round(s: S, player: str, action: dict[str, Any], ctx: Context) -> list[Event]:
    if s["phase"] != ROUND_OVER:
        raise InvalidAction("wrong_phase", "The next round can start only when a round is over.")
    events: list[Event] = []
    flow.start_round(s, ctx, events)
    return events


MOVES: dict[str, Move] = {
    "peek_initial": peek_initial,
    "draw": draw,
    "take_discard": take_discard,
    "exchange": exchange,
    "discard": discard,
    "peek": peek,
    "spy": spy,
    "swap": swap,
    "skip_power": skip_power,
    "cabo": cabo,
    "next_round": next_round,
}
