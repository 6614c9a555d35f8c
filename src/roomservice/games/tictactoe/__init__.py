"""Tic-tac-toe: the smallest complete game, and the worked example of ``docs/games.md``."""

from roomservice.games.tictactoe.game import LINES, TicTacToe

__all__ = ["LINES", "TicTacToe"]
