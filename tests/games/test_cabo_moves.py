"""Cabo turns with known hands: every move, its legality, the powers, Cabo and the end of rounds."""

from __future__ import annotations

from typing import Any

import pytest
from cabo_table import GAME, Table, event, stack, types

ANN = [1, 2, 3, 4]
BOB = [5, 6, 7, 8]


def table(*draws: int, ann: list[int] = ANN, bob: list[int] = BOB, **options: Any) -> Table:
    """Ann and Bob, known hands, discard 9, past setup (each knows their cards 0 and 1)."""
    t = Table(deck=stack(ann, bob, discard=9, draws=draws), **options)
    t.peek_all()
    return t


def play_out_turn(t: Table) -> None:
    """The current player draws and discards, skipping any power."""
    player = t.turn
    assert player is not None
    t.act(player, "draw")
    t.act(player, "discard")
    if t.phase == "power":
        t.act(player, "skip_power")


# -- legality ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (None, "invalid_action"),
        ("draw", "invalid_action"),
        ({}, "invalid_action"),
        ({"move": 3}, "invalid_action"),
        ({"move": "fly"}, "unknown_move"),
    ],
)
def test_malformed_actions(action: Any, code: str) -> None:
    assert table().refuse("ann", action) == code


def test_stranger_is_refused() -> None:
    assert table().refuse("eve", {"move": "draw"}) == "not_a_player"


@pytest.mark.parametrize(
    "action",
    [
        {"move": "draw"},
        {"move": "take_discard", "cards": [0]},
        {"move": "cabo"},
        {"move": "exchange", "cards": [0]},
        {"move": "discard"},
        {"move": "skip_power"},
    ],
)
def test_not_your_turn(action: dict[str, Any]) -> None:
    assert table().refuse("bob", action) == "not_your_turn"


@pytest.mark.parametrize(
    "action",
    [
        {"move": "exchange", "cards": [0]},
        {"move": "discard"},
        {"move": "peek", "card": 0},
        {"move": "spy", "player": "bob", "card": 0},
        {"move": "swap", "card": 0, "player": "bob", "their_card": 0},
        {"move": "skip_power"},
        {"move": "next_round"},
        {"move": "peek_initial", "cards": [0, 1]},
    ],
)
def test_wrong_phase_on_turn(action: dict[str, Any]) -> None:
    assert table().refuse("ann", action) == "wrong_phase"


@pytest.mark.parametrize(
    "action",
    [
        {"move": "draw"},
        {"move": "take_discard", "cards": [0]},
        {"move": "cabo"},
        {"move": "peek", "card": 0},
        {"move": "skip_power"},
    ],
)
def test_wrong_phase_holding_a_drawn_card(action: dict[str, Any]) -> None:
    t = table(0)
    t.act("ann", "draw")
    assert t.refuse("ann", action) == "wrong_phase"
    assert t.refuse("bob", action) == "not_your_turn"


@pytest.mark.parametrize(
    ("cards", "code"),
    [
        ([4], "invalid_card"),
        ([-1], "invalid_card"),
        ([0, 0], "invalid_card"),
        ([], "invalid_action"),
        (0, "invalid_action"),
        (["0"], "invalid_action"),
        ([1.0], "invalid_action"),
        ([False], "invalid_action"),
    ],
)
def test_bad_exchange_indexes(cards: Any, code: str) -> None:
    t = table(0)
    assert t.refuse("ann", {"move": "take_discard", "cards": cards}) == code
    t.act("ann", "draw")
    assert t.refuse("ann", {"move": "exchange", "cards": cards}) == code
    assert t.refuse("ann", {"move": "exchange"}) == "invalid_action"


# -- drawing, exchanging, discarding -------------------------------------------------------------


def test_drawn_card_is_seen_by_its_drawer_only() -> None:
    t = table(0)
    events = t.act("ann", "draw")
    assert [(e.type, dict(e.data), e.to) for e in events] == [
        ("drew", {"player": "ann", "deck_count": 42}, None),
        ("drew_card", {"rank": 0}, ("ann",)),
    ]
    assert t.phase == "drawn"
    assert t.view("ann")["drawn"] == 0
    assert t.view("bob")["drawn"] is None and t.view(None)["drawn"] is None
    assert t.view("bob")["deck_count"] == 42


def test_discard_without_power_ends_the_turn() -> None:
    t = table(0)
    t.act("ann", "draw")
    events = t.act("ann", "discard")
    assert dict(event(events, "discarded").data) == {"player": "ann", "rank": 0, "power": None}
    assert t.view("bob")["discard_top"] == 0 and t.view("bob")["discard_count"] == 2
    assert t.turn == "bob" and t.phase == "turn"


def test_exchange_one_card() -> None:
    t = table(0)
    t.act("ann", "draw")
    events = t.act("ann", "exchange", cards=[2])
    assert dict(event(events, "exchanged").data) == {
        "player": "ann",
        "source": "deck",
        "cards": [2],
        "ranks": [3],
        "matched": True,
        "card": 2,
        "rank": None,
    }
    assert t.ranks("ann") == [1, 2, 0, 4]
    assert t.seen("ann", "ann") == [1, 2, 0, None]
    assert t.seen("bob", "ann") == [None] * 4
    assert t.view("bob")["discard_top"] == 3
    assert t.turn == "bob"


def test_exchange_replaces_what_others_knew() -> None:
    t = table(9, 0)
    t.act("ann", "draw")
    t.act("ann", "discard")
    t.act("ann", "spy", player="bob", card=0)
    assert t.seen("ann", "bob") == [5, None, None, None]
    t.act("bob", "draw")
    t.act("bob", "exchange", cards=[0])
    assert t.seen("ann", "bob") == [None] * 4
    assert t.seen("bob", "bob") == [0, 6, None, None]


def test_matched_multi_exchange_discards_all_and_shrinks_the_hand() -> None:
    t = table(0, ann=[6, 2, 6, 4])
    t.act("ann", "draw")
    events = t.act("ann", "exchange", cards=[2, 0])
    data = dict(event(events, "exchanged").data)
    assert (data["ranks"], data["matched"], data["card"]) == ([6, 6], True, 0)
    assert t.ranks("ann") == [0, 2, 4]
    assert t.seen("ann", "ann") == [0, 2, None]  # knowledge follows the cards
    assert t.state["discard"][-2:] == [6, 6]
    assert t.view("bob")["discard_top"] == 6


def test_mismatched_multi_exchange_reveals_and_adds_a_penalty_card() -> None:
    t = table(0, ann=[6, 2, 7, 4])
    t.act("ann", "draw")
    events = t.act("ann", "exchange", cards=[0, 2])
    data = dict(event(events, "exchanged").data)
    assert (data["ranks"], data["matched"], data["card"], data["rank"]) == ([6, 7], False, 4, None)
    assert t.ranks("ann") == [6, 2, 7, 4, 0]
    assert t.seen("bob", "ann") == [6, None, 7, None, None]
    assert t.seen(None, "ann") == [6, None, 7, None, None]
    assert t.seen("ann", "ann") == [6, 2, 7, None, 0]
    assert [c["face_up"] for c in t.view("bob")["hands"]["ann"]] == [
        True,
        False,
        True,
        False,
        False,
    ]
    assert t.state["discard"] == [9]  # nothing was discarded
    assert t.turn == "bob"


def test_take_discard_stays_face_up() -> None:
    t = table()
    events = t.act("ann", "take_discard", cards=[3])
    assert types(events) == ["took_discard", "exchanged", "turn"]
    assert dict(events[0].data) == {"player": "ann", "rank": 9}
    assert dict(events[1].data)["rank"] == 9 and dict(events[1].data)["source"] == "discard"
    assert t.ranks("ann") == [1, 2, 3, 9]
    assert t.seen("bob", "ann") == [None, None, None, 9]
    assert t.seen(None, "ann") == [None, None, None, 9]
    assert t.view(None)["discard_top"] == 4


def test_take_discard_mismatch_can_empty_the_pile() -> None:
    t = table()
    t.act("ann", "take_discard", cards=[0, 1])
    assert t.ranks("ann") == [1, 2, 3, 4, 9]
    assert t.seen("bob", "ann") == [1, 2, None, None, 9]
    assert t.view("bob")["discard_top"] is None and t.view("bob")["discard_count"] == 0
    assert t.refuse("bob", {"move": "take_discard", "cards": [0]}) == "discard_empty"


# -- powers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rank", "power"), [(7, "peek"), (8, "peek"), (9, "spy"), (10, "spy")])
def test_discarding_a_power_card_opens_the_power_phase(rank: int, power: str) -> None:
    t = table(rank)
    t.act("ann", "draw")
    events = t.act("ann", "discard")
    assert dict(event(events, "discarded").data) == {"player": "ann", "rank": rank, "power": power}
    assert t.phase == "power" and t.view("bob")["power"] == power and t.turn == "ann"


def test_exchanging_a_power_card_grants_nothing() -> None:
    t = table(11)
    t.act("ann", "draw")
    t.act("ann", "exchange", cards=[0])
    assert t.phase == "turn" and t.turn == "bob"


def test_peek() -> None:
    t = table(7)
    t.act("ann", "draw")
    t.act("ann", "discard")
    assert t.refuse("ann", {"move": "spy", "player": "bob", "card": 0}) == "wrong_power"
    assert t.refuse("ann", {"move": "peek", "card": 4}) == "invalid_card"
    assert t.refuse("ann", {"move": "peek", "card": "3"}) == "invalid_action"
    assert t.refuse("bob", {"move": "peek", "card": 3}) == "not_your_turn"
    events = t.act("ann", "peek", card=3)
    assert [(e.type, dict(e.data), e.to) for e in events[:2]] == [
        ("peeked", {"player": "ann", "card": 3}, None),
        ("peek_result", {"card": 3, "rank": 4}, ("ann",)),
    ]
    assert t.seen("ann", "ann") == [1, 2, None, 4]
    assert t.seen("bob", "ann") == [None] * 4
    assert t.turn == "bob"


def test_spy() -> None:
    t = table(10)
    t.act("ann", "draw")
    t.act("ann", "discard")
    assert t.refuse("ann", {"move": "peek", "card": 0}) == "wrong_power"
    assert t.refuse("ann", {"move": "spy", "player": "ann", "card": 0}) == "invalid_player"
    assert t.refuse("ann", {"move": "spy", "player": "eve", "card": 0}) == "invalid_player"
    assert t.refuse("ann", {"move": "spy", "player": 1, "card": 0}) == "invalid_action"
    assert t.refuse("ann", {"move": "spy", "player": "bob", "card": 9}) == "invalid_card"
    events = t.act("ann", "spy", player="bob", card=2)
    assert [(e.type, dict(e.data), e.to) for e in events[:2]] == [
        ("spied", {"player": "ann", "target": "bob", "card": 2}, None),
        ("spy_result", {"target": "bob", "card": 2, "rank": 7}, ("ann",)),
    ]
    assert t.seen("ann", "bob") == [None, None, 7, None]
    assert t.seen("bob", "bob") == [5, 6, None, None]  # bob still only knows what he peeked
    assert t.seen(None, "bob") == [None] * 4


def test_swap_moves_cards_unseen() -> None:
    t = table(11)
    t.act("ann", "draw")
    t.act("ann", "discard")
    assert t.refuse("ann", {"move": "swap", "card": 0, "player": "bob"}) == "invalid_action"
    bad_theirs = {"move": "swap", "card": 0, "player": "bob", "their_card": 4}
    assert t.refuse("ann", bad_theirs) == "invalid_card"
    bad_mine = {"move": "swap", "card": 7, "player": "bob", "their_card": 0}
    assert t.refuse("ann", bad_mine) == "invalid_card"
    events = t.act("ann", "swap", card=0, player="bob", their_card=1)
    assert dict(events[0].data) == {"player": "ann", "card": 0, "target": "bob", "their_card": 1}
    assert t.ranks("ann") == [6, 2, 3, 4] and t.ranks("bob") == [5, 1, 7, 8]
    # Both had seen the card they gave away; after the swap nobody knows either position.
    assert t.seen("ann", "ann") == [None, 2, None, None]
    assert t.seen("bob", "bob") == [5, None, None, None]
    assert t.seen("ann", "bob") == [None] * 4
    assert t.turn == "bob"


def test_swapped_face_up_card_stays_face_up() -> None:
    t = table(12, 0)
    t.act("ann", "take_discard", cards=[0])  # ann: 9 face up at 0
    t.act("bob", "draw")  # 12
    t.act("bob", "discard")
    t.act("bob", "swap", card=3, player="ann", their_card=0)
    assert t.seen("ann", "bob") == [None, None, None, 9]
    assert t.seen(None, "bob") == [None, None, None, 9]
    assert t.seen("bob", "ann") == [None] * 4


def test_skip_power() -> None:
    t = table(12)
    t.act("ann", "draw")
    t.act("ann", "discard")
    events = t.act("ann", "skip_power")
    assert dict(events[0].data) == {"player": "ann", "power": "swap"}
    assert t.turn == "bob" and t.phase == "turn" and t.view("bob")["power"] is None


# -- Cabo and the end of a round -----------------------------------------------------------------


def test_cabo_gives_every_other_player_exactly_one_more_turn() -> None:
    t = Table(["ann", "bob", "cy"], deck=stack([0, 0, 1, 1], BOB, [9, 9, 9, 9], discard=2))
    t.peek_all()
    turns: list[str] = []
    events = t.act("ann", "cabo")
    assert types(events) == ["cabo", "turn"] and t.view("cy")["caller"] == "ann"
    assert t.refuse("bob", {"move": "cabo"}) == "cabo_already_called"
    while t.phase != "round_over":
        assert t.turn is not None
        turns.append(t.turn)
        play_out_turn(t)
    assert turns == ["bob", "cy"]
    last = t.view(None)["last_round"]
    assert (last["reason"], last["caller"]) == ("cabo", "ann")
    assert last["scores"]["ann"] == 0 and t.view(None)["totals"]["ann"] == 0


def test_caller_not_lowest_pays_ten() -> None:
    t = table(ann=[9, 9, 10, 10], bob=[0, 0, 1, 1])
    t.act("ann", "cabo")
    t.act("bob", "take_discard", cards=[3])  # bob swaps a 1 for the 9
    last = t.view(None)["last_round"]
    assert last["sums"] == {"ann": 38, "bob": 10}
    assert last["scores"] == {"ann": 48, "bob": 10}


def test_round_ends_when_the_draw_pile_runs_out() -> None:
    t = table()
    turns = 0
    while t.phase != "round_over":
        play_out_turn(t)
        turns += 1
    assert turns == 43 and t.state["deck"] == []
    assert t.view(None)["last_round"]["reason"] == "deck_empty"
    assert t.view(None)["last_round"]["caller"] is None


def test_round_over_reveals_everything_to_everyone() -> None:
    t = table(ann=[0, 0, 1, 1])
    t.act("ann", "cabo")
    events = t.act("bob", "take_discard", cards=[0])
    over = event(events, "round_over")
    assert over.to is None
    assert dict(over.data)["hands"] == {"ann": [0, 0, 1, 1], "bob": [9, 6, 7, 8]}
    for viewer in ("ann", "bob", None):
        view = t.view(viewer)
        assert view["phase"] == "round_over" and view["turn"] is None
        assert view["hands"]["ann"] == [{"rank": r, "face_up": False} for r in (0, 0, 1, 1)]
        assert [c["rank"] for c in view["hands"]["bob"]] == [9, 6, 7, 8]
    assert t.view(None)["totals"] == {"ann": 0, "bob": 30}
    assert t.refuse("ann", {"move": "draw"}) == "wrong_phase"


def test_next_round_by_any_player_and_the_starter_moves_left() -> None:
    t = Table(["ann", "bob", "cy"], deck=stack(ANN, BOB, [9, 9, 9, 9], discard=0))
    starters = []
    for _ in range(4):
        t.peek_all()
        starters.append(t.turn)
        t.act(t.turn or "", "cabo")
        while t.phase != "round_over":
            play_out_turn(t)
        t.act("cy", "next_round")
    assert starters == ["ann", "bob", "cy", "ann"]
    # The dev deck is dealt again, starting from the new starter.
    assert t.state["round"] == 5 and t.view(None)["starter"] == "bob"
    assert t.ranks("bob") == ANN and t.ranks("cy") == BOB and t.ranks("ann") == [9, 9, 9, 9]


def test_kamikaze_round() -> None:
    t = table(ann=[12, 13, 12, 13])
    t.act("ann", "cabo")
    t.act("bob", "draw")
    t.act("bob", "discard")
    if t.phase == "power":
        t.act("bob", "skip_power")
    last = t.view(None)["last_round"]
    assert last["kamikaze"] == "ann" and last["scores"] == {"ann": 0, "bob": 50}


def end_round_with_cabo(t: Table) -> None:
    t.act(t.turn or "", "cabo")
    while t.phase == "turn" or t.phase == "drawn" or t.phase == "power":
        play_out_turn(t)


def test_exactly_100_resets_to_50_once() -> None:
    t = table(1, 2, ann=[0, 0, 1, 9], bob=[1, 1, 2, 13])
    t.state["totals"] = {"ann": 90, "bob": 0}  # ann will score 10: exactly 100
    t.act("ann", "draw")
    t.act("ann", "discard")  # the 1
    t.act("bob", "cabo")
    t.act("ann", "draw")
    t.act("ann", "discard")  # the 2
    last = t.view(None)["last_round"]
    assert last["scores"] == {"ann": 10, "bob": 27} and last["reset"] == ["ann"]
    assert t.view(None)["totals"] == {"ann": 50, "bob": 27}
    assert t.view(None)["resets_used"] == ["ann"]
    t.act("bob", "next_round")
    t.state["totals"]["ann"] = 83  # the same deck deals ann 17 this time: exactly 100 again
    t.peek_all()
    end_round_with_cabo(t)
    assert t.view(None)["last_round"]["scores"]["ann"] == 17
    assert t.view(None)["totals"]["ann"] == 100  # no second reset
    assert t.view(None)["last_round"]["reset"] == []
    assert t.phase == "round_over"


def test_game_ends_above_100_and_lowest_total_wins() -> None:
    t = table(ann=[13, 13, 0, 1], bob=[0, 1, 1, 1])
    t.state["totals"] = {"ann": 80, "bob": 20}
    t.act("ann", "cabo")  # 27 against bob's 12 after his turn: 37
    events = t.act("bob", "take_discard", cards=[0])
    assert types(events)[-2:] == ["round_over", "game_over"]
    assert dict(events[-1].data) == {"winners": ["bob"], "totals": {"ann": 117, "bob": 32}}
    assert t.phase == "game_over" and t.view("ann")["winners"] == ["bob"]
    result = GAME.result(t.state)
    assert result == {"winners": ["bob"], "totals": {"ann": 117, "bob": 32}, "rounds": 1}
    assert GAME.turn_deadline(t.state) is None
    assert t.refuse("bob", {"move": "next_round"}) == "game_over"
    assert t.refuse("bob", {"move": "draw"}) == "game_over"


def test_tied_lowest_totals_share_the_win() -> None:
    hands = ([13, 13, 12, 11], [1, 1, 1, 2], [2, 2, 0, 0])
    t = Table(["ann", "bob", "cy"], deck=stack(*hands, discard=5, draws=[9, 1, 3]))
    t.peek_all()
    t.state["totals"] = {"ann": 70, "bob": 10, "cy": 22}
    t.act("ann", "draw")  # 9
    t.act("ann", "discard")
    t.act("ann", "skip_power")
    t.act("bob", "cabo")  # bob 5
    t.act("cy", "draw")  # 1 for a 2: cy 3, so bob is not lowest
    t.act("cy", "exchange", cards=[0])
    t.act("ann", "draw")  # 3 for the 11: ann 41
    t.act("ann", "exchange", cards=[3])
    assert t.view(None)["last_round"]["scores"] == {"ann": 41, "bob": 15, "cy": 3}
    assert t.phase == "game_over"
    assert GAME.result(t.state) == {
        "winners": ["bob", "cy"],
        "totals": {"ann": 111, "bob": 25, "cy": 25},
        "rounds": 1,
    }


def test_no_result_before_the_end() -> None:
    assert GAME.result(table().state) is None


# -- turn timer ----------------------------------------------------------------------------------


def test_turn_timer_deadline_is_in_state_and_view() -> None:
    t = table(turn_timer=30)
    assert GAME.turn_deadline(t.state) == 30.0 and t.view("bob")["deadline"] == 30_000  # epoch ms on the wire
    assert t.view("bob")["turn_timer"] == 30.0


def test_late_turn_is_auto_played_without_power() -> None:
    t = table(7, 0, turn_timer=30)
    assert t.timeout(early=True) == [] and t.turn == "ann"
    events = t.timeout()
    assert types(events) == ["timed_out", "drew", "drew_card", "discarded", "turn"]
    assert dict(events[0].data) == {"phase": "turn", "players": ["ann"]}
    assert dict(events[3].data) == {"player": "ann", "rank": 7, "power": None}
    assert t.turn == "bob" and t.phase == "turn"
    assert GAME.turn_deadline(t.state) == 60.0
    assert GAME.on_timeout(t.state, t.ctx()).state == t.state  # nothing due yet


def test_timeout_holding_a_card_discards_it() -> None:
    t = table(0, turn_timer=30)
    t.act("ann", "draw")
    events = t.timeout()
    assert types(events) == ["timed_out", "discarded", "turn"]
    assert t.view("bob")["discard_top"] == 0 and t.turn == "bob"


def test_timeout_in_power_phase_skips_it() -> None:
    t = table(9, turn_timer=30)
    t.act("ann", "draw")
    t.act("ann", "discard")
    events = t.timeout()
    assert types(events) == ["timed_out", "power_skipped", "turn"]
    assert t.turn == "bob"


def test_timeout_after_a_round_starts_the_next() -> None:
    t = table(turn_timer=30)
    t.act("ann", "cabo")
    t.act("bob", "take_discard", cards=[0])
    assert t.phase == "round_over"
    events = t.timeout()
    assert types(events) == ["timed_out", "round_started"]
    assert dict(events[0].data) == {"phase": "round_over", "players": []}
    assert t.phase == "setup" and t.state["round"] == 2


def test_without_timer_round_over_waits() -> None:
    t = table()
    t.act("ann", "cabo")
    t.act("bob", "take_discard", cards=[0])
    assert GAME.turn_deadline(t.state) is None
    assert GAME.on_timeout(t.state, t.ctx()).state == t.state


def test_leaving_does_not_change_the_game() -> None:
    t = table()
    assert GAME.on_leave(t.state, "bob", t.ctx()).state == t.state
    assert GAME.on_rejoin(t.state, "bob", t.ctx()).state == t.state
