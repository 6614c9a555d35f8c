"""Players who lose their seat mid-game: a dropped socket changes nothing, a lost seat never leaves a
game waiting for someone who cannot come back. Also the one validation order of actions and the
deadline every view and event shows (epoch milliseconds)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from cabo_table import GAME as CABO
from cabo_table import Table, stack, types

from roomservice.games.base import Context, InvalidAction, epoch_ms
from roomservice.games.tictactoe import TicTacToe

TTT = TicTacToe()
PX, PO = "px", "po"
THREE = ("ann", "bob", "cy")
HANDS = ([1, 2, 3, 4], [5, 6, 7, 8], [0, 1, 2, 3])


def ctx(now: float = 0.0) -> Context:
    return Context(now=now, rng=random.Random(0))


def ttt(*cells: int) -> Any:
    state = TTT.setup([PX, PO], {}, ctx()).state
    for i, cell in enumerate(cells):
        state = TTT.apply(state, PX if i % 2 == 0 else PO, {"cell": cell}, ctx()).state
    return state


def leave(t: Table, player: str, reason: str | None = "kicked") -> list[Any]:
    outcome = CABO.on_leave(t.state, player, t.ctx(), reason)
    assert json.loads(json.dumps(outcome.state)) == outcome.state
    t.state, t.events = outcome.state, outcome.events
    return outcome.events


def three(*draws: int, **options: Any) -> Table:
    t = Table(THREE, deck=stack(*HANDS, discard=9, draws=draws), **options)
    t.peek_all()
    return t


# -- tic-tac-toe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["left", "kicked", "disconnected"])
def test_tictactoe_the_one_who_stays_wins_by_forfeit(reason: str) -> None:
    outcome = TTT.on_leave(ttt(4), PO, ctx(), reason)
    assert TTT.result(outcome.state) == {
        "winners": [PX],
        "draw": False,
        "forfeit": {"player": PO, "reason": reason},
    }
    assert types(outcome.events) == ["game_over"]
    assert outcome.events[0].data == {"winner": PX, "line": None, "forfeit": {"player": PO, "reason": reason}}
    assert TTT.view(outcome.state, None)["over"] is True
    with pytest.raises(InvalidAction) as err:
        TTT.apply(outcome.state, PX, {"cell": 0}, ctx())
    assert err.value.code == "game_over"


def test_tictactoe_a_dropped_socket_or_a_finished_game_changes_nothing() -> None:
    state = ttt(4)
    assert TTT.on_leave(state, PO, ctx(), None).state is state
    won = ttt(0, 3, 1, 4, 2)
    assert TTT.on_leave(won, PO, ctx(), "left").state is won
    assert TTT.result(won) == {"winners": [PX], "draw": False}


# -- Cabo ----------------------------------------------------------------------------------------


def test_cabo_two_players_one_leaves_ends_the_game() -> None:
    t = Table(deck=stack(HANDS[0], HANDS[1], discard=9))
    t.peek_all()
    events = leave(t, "bob", "left")
    assert types(events) == ["player_gone", "game_over"]
    assert t.phase == "game_over" and t.state["deadline"] is None
    assert CABO.result(t.state) == {
        "winners": ["ann"],
        "totals": {"ann": 0, "bob": 0},
        "rounds": 1,
        "forfeit": {"player": "bob", "reason": "left"},
    }
    assert t.view("ann")["gone"] == {"bob": "left"}


def test_cabo_three_players_the_leavers_turn_is_skipped() -> None:
    t = three(0, 5, 6)
    assert t.turn == "ann"
    # bob leaves while ann plays: nothing changes for ann, and bob's turn never comes.
    assert types(leave(t, "bob")) == ["player_gone"]
    assert t.turn == "ann"
    t.act("ann", "draw")
    events = t.act("ann", "discard")
    assert types(events) == ["discarded", "turn"] and t.turn == "cy"
    assert t.refuse("bob", {"move": "draw"}) == "not_a_player"
    assert t.view("bob")["you"] is None  # no longer seated: a spectator's view


@pytest.mark.parametrize(
    ("setup", "phase", "expected"),
    [
        ([], "turn", ["player_gone", "turn"]),
        ([("draw", {})], "drawn", ["player_gone", "discarded", "turn"]),
        ([("draw", {}), ("discard", {})], "power", ["player_gone", "power_skipped", "turn"]),
    ],
)
def test_cabo_a_leaver_on_turn_passes_it_on(setup: list[Any], phase: str, expected: list[str]) -> None:
    t = three(7)  # ann draws a 7: discarding it grants a peek
    for move, payload in setup:
        t.act("ann", move, **payload)
    assert t.phase == phase
    events = leave(t, "ann", "disconnected")
    assert types(events) == expected
    assert t.turn == "bob" and t.phase == "turn" and t.state["drawn"] is None and t.state["power"] is None
    if phase == "drawn":
        assert t.state["discard"][-1] == 7 and events[1].data["power"] is None


def test_cabo_leaving_during_setup_starts_play_when_the_others_are_ready() -> None:
    t = Table(THREE, deck=stack(*HANDS, discard=9))
    t.act("bob", "peek_initial", cards=[0, 1])
    t.act("cy", "peek_initial", cards=[0, 1])
    events = leave(t, "ann")  # the starter leaves before looking
    assert types(events) == ["player_gone", "turn"]
    assert t.phase == "turn" and t.turn == "bob"


def test_cabo_the_round_ends_at_a_gone_callers_seat_and_they_are_not_scored() -> None:
    t = three(0, 5, 6, 7)
    t.act("ann", "cabo")
    assert t.turn == "bob"
    leave(t, "ann", "left")
    t.act("bob", "draw")
    t.act("bob", "discard")
    t.act("cy", "draw")
    events = t.act("cy", "discard")
    assert "round_over" in types(events)
    last = t.state["last_round"]
    assert set(last["hands"]) == {"bob", "cy"} and last["caller"] == "ann"
    assert t.state["totals"]["ann"] == 0


def test_cabo_the_next_round_deals_only_to_those_still_seated() -> None:
    t = three(turn_timer=5)
    leave(t, "cy")
    t.act("ann", "cabo")
    t.act("bob", "draw")
    t.act("bob", "discard")
    if t.phase == "power":
        t.act("bob", "skip_power")
    assert t.phase == "round_over"
    t.act("bob", "next_round")
    assert t.state["hands"]["cy"] == [] and len(t.state["hands"]["bob"]) == 4
    assert t.view(None)["starter"] == "bob"  # the starter moves left, to a seat still taken
    t.act("ann", "peek_initial", cards=[0, 1])
    events = t.act("bob", "peek_initial", cards=[0, 1])
    assert types(events)[-1] == "turn" and t.turn == "bob"


def test_cabo_a_dropped_socket_changes_nothing() -> None:
    t = three()
    assert CABO.on_leave(t.state, "bob", t.ctx()).state is t.state
    assert CABO.on_leave(t.state, "bob", t.ctx(), None).state is t.state


def test_cabo_spy_and_swap_cannot_target_a_gone_player() -> None:
    t = three(9)
    leave(t, "cy")
    t.act("ann", "draw")
    t.act("ann", "discard")
    assert t.refuse("ann", {"move": "spy", "player": "cy", "card": 0}) == "invalid_player"


# -- one validation order ------------------------------------------------------------------------


def test_tictactoe_checks_player_then_game_over_then_turn_then_payload() -> None:
    def code(state: Any, player: str, action: Any) -> str:
        with pytest.raises(InvalidAction) as err:
            TTT.apply(state, player, action, ctx())
        return err.value.code

    won = ttt(0, 3, 1, 4, 2)
    assert code(won, "eve", {"cell": "x"}) == "not_a_player"
    assert code(won, PO, "junk") == "game_over"
    assert code(ttt(), PO, "junk") == "not_your_turn"
    assert code(ttt(), PX, {"cell": "x"}) == "invalid_action"
    assert code(ttt(), PX, {"cell": 9}) == "invalid_move"


def test_cabo_checks_player_then_game_over_then_move_then_turn_phase_fields() -> None:
    t = Table(deck=stack(HANDS[0], HANDS[1], discard=9))
    t.peek_all()
    assert t.refuse("eve", "junk") == "not_a_player"
    assert t.refuse("bob", "junk") == "invalid_action"
    assert t.refuse("bob", {"move": "fly"}) == "unknown_move"
    assert t.refuse("bob", {"move": "take_discard", "cards": "x"}) == "not_your_turn"
    assert t.refuse("ann", {"move": "peek", "card": "x"}) == "wrong_phase"
    assert t.refuse("ann", {"move": "take_discard", "cards": "x"}) == "invalid_action"
    assert t.refuse("ann", {"move": "take_discard", "cards": [9]}) == "invalid_card"
    leave(t, "bob")
    assert t.refuse("ann", {"move": "fly"}) == "game_over"
    assert t.refuse("eve", {"move": "fly"}) == "not_a_player"


# -- deadlines on the wire -----------------------------------------------------------------------


def test_every_deadline_is_epoch_milliseconds() -> None:
    start = 1_800_000_000.25
    t = Table(deck=stack(HANDS[0], HANDS[1], discard=9), turn_timer=30)
    t.now = start
    t.state = CABO.setup(t.players, CABO.validate_options(t.state["options"], t.ctx()), t.ctx()).state
    assert CABO.turn_deadline(t.state) == start + 10  # game time stays in seconds
    assert t.view("ann")["deadline"] == 1_800_000_010_250
    assert isinstance(t.view(None)["deadline"], int)
    t.act("ann", "peek_initial", cards=[0, 1])
    events = t.act("bob", "peek_initial", cards=[0, 1])
    turn = next(e for e in events if e.type == "turn")
    assert turn.data["deadline"] == 1_800_000_030_250 == t.view("bob")["deadline"]
    assert epoch_ms(None) is None and epoch_ms(1.5) == 1500


@pytest.mark.parametrize("seed", range(40))
def test_cabo_never_waits_for_someone_who_is_gone(seed: int) -> None:
    """Random games in which players lose their seats at random moments: whenever the game is not
    over, someone still seated can act (or a timer is due), and it always reaches its end."""
    from roomservice.bots import cabo as bot

    rng = random.Random(seed)
    players = ["ann", "bob", "cy", "dee"][: rng.randint(2, 4)]
    t = Table(players, seed=seed, turn_timer=rng.choice([None, 5]))
    for _ in range(3000):
        if CABO.result(t.state) is not None:
            break
        seated = [p for p in players if p not in t.state["gone"]]
        if len(seated) > 1 and rng.random() < 0.02:
            leave(t, rng.choice(seated), rng.choice(["left", "kicked", "disconnected"]))
            continue
        phase, turn = t.phase, t.turn
        if phase in ("turn", "drawn", "power"):
            assert turn in seated  # never the turn of someone who is gone
        elif phase == "setup":
            assert any(p not in t.state["ready"] for p in seated)
        moved = False
        for player in rng.sample(seated, len(seated)):
            action = bot.choose(t.view(player), player, rng)
            if action is None:
                continue
            try:
                t.act(player, action.pop("move"), **action)
            except InvalidAction:
                continue
            moved = True
            break
        if not moved:
            assert CABO.turn_deadline(t.state) is not None, t.state
            t.timeout()
    result = CABO.result(t.state)
    assert result is not None
    assert set(result["winners"]) <= {p for p in players if p not in t.state["gone"]}
