"""Tic-tac-toe rules, played without a server: setup, apply, view and result are plain functions."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from roomservice.games.base import Context, InvalidAction
from roomservice.games.builtin import builtin_games
from roomservice.games.tictactoe import LINES, TicTacToe

GAME = TicTacToe()
PX, PO = "alice", "bob"


def ctx() -> Context:
    return Context(now=0.0, rng=random.Random(0))


def new_game() -> Any:
    return GAME.setup([PX, PO], GAME.validate_options({}, ctx()), ctx()).state


def play(cells: list[int]) -> Any:
    """Alternate X and O over ``cells`` from a fresh game and return the state."""
    state = new_game()
    for i, cell in enumerate(cells):
        state = GAME.apply(state, PX if i % 2 == 0 else PO, {"cell": cell}, ctx()).state
    return state


def refused(state: Any, player: str, action: Any) -> str:
    """Apply an action that must be refused, check the state is untouched, return the code."""
    before = copy.deepcopy(state)
    with pytest.raises(InvalidAction) as err:
        GAME.apply(state, player, action, ctx())
    assert state == before
    assert err.value.message
    return err.value.code


def off_line(line: tuple[int, int, int]) -> list[int]:
    """The six cells not on ``line``, for the other player's moves."""
    return [c for c in range(9) if c not in line]


def test_catalogue_lists_tictactoe() -> None:
    assert any(isinstance(g, TicTacToe) for g in builtin_games())
    info = GAME.info()
    assert (info.id, info.name, info.min_players, info.max_players, info.realtime) == (
        "tictactoe",
        "Tic-tac-toe",
        2,
        2,
        False,
    )


def test_setup_x_is_first_player_and_moves_first() -> None:
    view = GAME.view(new_game(), PX)
    assert view == {
        "board": [None] * 9,
        "marks": {PX: "X", PO: "O"},
        "turn": PX,
        "winner": None,
        "line": None,
        "over": False,
        "draw": False,
    }


def test_state_and_view_are_json() -> None:
    state = play([4, 0])
    assert json.loads(json.dumps(state)) == state
    assert json.loads(json.dumps(GAME.view(state, None))) == GAME.view(state, None)


def test_options_are_refused() -> None:
    with pytest.raises(InvalidAction) as err:
        GAME.validate_options({"size": 4}, ctx())
    assert err.value.code == "invalid_options"


def test_setup_needs_two_distinct_players() -> None:
    for players in ([PX], [PX, PO, "carol"], [PX, PX]):
        with pytest.raises(InvalidAction) as err:
            GAME.setup(players, {}, ctx())
        assert err.value.code == "wrong_player_count"


def test_move_emits_moved_and_passes_turn() -> None:
    outcome = GAME.apply(new_game(), PX, {"cell": 4}, ctx())
    assert [(e.type, dict(e.data), e.to) for e in outcome.events] == [
        ("moved", {"player": PX, "cell": 4, "mark": "X"}, None)
    ]
    assert outcome.state["board"][4] == "X"
    assert outcome.state["turn"] == PO


@pytest.mark.parametrize("line", LINES)
def test_x_wins_on_every_line(line: tuple[int, int, int]) -> None:
    o1, o2 = off_line(line)[:2]  # two marks can never make a line
    state = play([line[0], o1, line[1], o2])
    outcome = GAME.apply(state, PX, {"cell": line[2]}, ctx())
    assert outcome.events[-1].type == "game_over"
    assert dict(outcome.events[-1].data) == {"winner": PX, "line": list(line)}
    view = GAME.view(outcome.state, PO)
    assert (view["winner"], view["line"], view["over"], view["draw"], view["turn"]) == (
        PX,
        list(line),
        True,
        False,
        None,
    )
    assert GAME.result(outcome.state) == {"winners": [PX], "draw": False}


@pytest.mark.parametrize("line", LINES)
def test_o_wins_on_every_line(line: tuple[int, int, int]) -> None:
    x1, x2, *rest = off_line(line)
    # X's third mark must not complete a line of its own before O's last move.
    x3 = next(c for c in rest if not any(set(w) <= {x1, x2, c} for w in LINES))
    state = play([x1, line[0], x2, line[1], x3, line[2]])
    assert GAME.result(state) == {"winners": [PO], "draw": False}
    assert state["line"] == list(line)


def test_draw() -> None:
    # X O X / X O O / O X X
    state = play([0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert state["over"] and state["draw"] and state["winner"] is None and state["line"] is None
    assert GAME.result(state) == {"winners": [], "draw": True}


def test_no_result_while_playing() -> None:
    assert GAME.result(play([0, 1])) is None


def test_not_your_turn() -> None:
    state = new_game()
    assert refused(state, PO, {"cell": 0}) == "not_your_turn"
    state = GAME.apply(state, PX, {"cell": 0}, ctx()).state
    assert refused(state, PX, {"cell": 1}) == "not_your_turn"


def test_stranger_is_refused() -> None:
    assert refused(new_game(), "mallory", {"cell": 0}) == "not_a_player"


def test_cell_taken() -> None:
    assert refused(play([4]), PO, {"cell": 4}) == "cell_taken"


@pytest.mark.parametrize("cell", [-1, 9, 100])
def test_out_of_range(cell: int) -> None:
    assert refused(new_game(), PX, {"cell": cell}) == "invalid_move"


@pytest.mark.parametrize(
    "action",
    [None, 4, "4", [4], {}, {"cell": "4"}, {"cell": 4.0}, {"cell": True}, {"cell": None}, {"x": 4}],
)
def test_bad_payloads(action: Any) -> None:
    assert refused(new_game(), PX, action) == "invalid_action"


def test_moves_after_game_over() -> None:
    won = play([0, 3, 1, 4, 2])
    assert refused(won, PO, {"cell": 8}) == "game_over"
    drawn = play([0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert refused(drawn, PO, {"cell": 0}) == "game_over"


def test_apply_does_not_mutate_input() -> None:
    state = play([0])
    before = copy.deepcopy(state)
    GAME.apply(state, PO, {"cell": 4}, ctx())
    assert state == before


def test_spectator_sees_same_board() -> None:
    state = play([0, 4])
    assert GAME.view(state, None) == GAME.view(state, PX) == GAME.view(state, PO)


def test_leave_and_rejoin_keep_the_game() -> None:
    state = play([0])
    assert GAME.on_leave(state, PO, ctx()).state == state
    assert GAME.on_rejoin(state, PO, ctx()).state == state
    assert GAME.apply(state, PO, {"cell": 4}, ctx()).state["board"][4] == "O"
