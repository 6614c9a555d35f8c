"""Tic-tac-toe rules.

The board is nine cells in row-major order (0 is top left, 8 bottom right). The first seated
player is X and moves first. Nothing is hidden, so every viewer gets the same view.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from roomservice.games.base import Context, Event, Game, InvalidAction, Outcome, PlayerId, State

#: The eight winning lines: three rows, three columns, two diagonals.
LINES: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),
    (0, 4, 8),
    (2, 4, 6),
)


def _winning_line(board: Sequence[str | None]) -> list[int] | None:
    for a, b, c in LINES:
        if board[a] is not None and board[a] == board[b] == board[c]:
            return [a, b, c]
    return None


class TicTacToe(Game):
    """Two players take turns marking cells; three in a row wins, a full board is a draw."""

    id = "tictactoe"
    name = "Tic-tac-toe"
    description = "Two players, a 3x3 grid: get three of your marks in a row."
    min_players = 2
    max_players = 2
    match_players = (2, 2)
    realtime = False
    # The leaderboard keeps the defaults: the score is the number of wins, higher first.
    options_schema = {"type": "object", "properties": {}, "additionalProperties": False}

    def validate_options(self, options: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Tic-tac-toe has no options; refusing unknown ones catches typos early."""
        if options:
            names = ", ".join(sorted(map(str, options)))
            raise InvalidAction("invalid_options", f"Tic-tac-toe takes no options (got {names}).")
        return {}

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        if len(players) != 2 or players[0] == players[1]:
            raise InvalidAction("wrong_player_count", "Tic-tac-toe needs exactly two players.")
        x, o = players
        state = {
            "players": [x, o],
            "marks": {x: "X", o: "O"},
            "board": [None] * 9,
            "turn": x,
            "winner": None,
            "line": None,
            "over": False,
            "draw": False,
        }
        return Outcome(state)

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        # The order every game follows (docs/games.md): player, game over, turn, then the payload.
        if player not in state["marks"]:
            raise InvalidAction("not_a_player", "You are not playing this game.")
        if state["over"]:
            raise InvalidAction("game_over", "The game is over.")
        if player != state["turn"]:
            raise InvalidAction("not_your_turn", "It is not your turn.")
        cell = action.get("cell") if isinstance(action, dict) else None
        # bool is an int subclass; ``{"cell": true}`` is a client bug, not cell 1.
        if not isinstance(cell, int) or isinstance(cell, bool):
            raise InvalidAction("invalid_action", 'Send {"cell": n} with n an integer 0..8.')
        if not 0 <= cell <= 8:
            raise InvalidAction("invalid_move", f"Cell {cell} is off the board (0..8).")
        if state["board"][cell] is not None:
            raise InvalidAction("cell_taken", f"Cell {cell} is already marked.")

        new = copy.deepcopy(state)
        mark = new["marks"][player]
        new["board"][cell] = mark
        events = [Event("moved", {"player": player, "cell": cell, "mark": mark})]
        line = _winning_line(new["board"])
        if line is not None:
            new.update(winner=player, line=line, over=True, turn=None)
        elif all(c is not None for c in new["board"]):
            new.update(over=True, draw=True, turn=None)
        else:
            x, o = new["players"]
            new["turn"] = o if player == x else x
        if new["over"]:
            events.append(Event("game_over", {"winner": new["winner"], "line": new["line"]}))
        return Outcome(new, events)

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        """Nothing is hidden: everyone, spectators included, sees the whole board."""
        return {
            "board": list(state["board"]),
            "marks": dict(state["marks"]),
            "turn": state["turn"],
            "winner": state["winner"],
            "line": None if state["line"] is None else list(state["line"]),
            "over": state["over"],
            "draw": state["draw"],
        }

    def result(self, state: State) -> Mapping[str, Any] | None:
        if not state["over"]:
            return None
        winners = [] if state["winner"] is None else [state["winner"]]
        result: dict[str, Any] = {"winners": winners, "draw": state["draw"]}
        if state.get("forfeit") is not None:
            result["forfeit"] = dict(state["forfeit"])
        return result

    def on_leave(self, state: State, player: PlayerId, ctx: Context, reason: str | None = None) -> Outcome:
        """A dropped socket changes nothing (the player may come back); a lost seat forfeits the
        game to the player who stayed."""
        if reason is None or state["over"] or player not in state["marks"]:
            return Outcome(state)
        x, o = state["players"]
        winner = o if player == x else x
        forfeit = {"player": player, "reason": reason}
        new = copy.deepcopy(state)
        new.update(winner=winner, over=True, turn=None, forfeit=forfeit)
        return Outcome(new, [Event("game_over", {"winner": winner, "line": None, "forfeit": forfeit})])

    # on_rejoin keeps the base default: the game simply carries on.
