"""The games that ship with roomservice."""

from __future__ import annotations

from roomservice.games.arena import Arena
from roomservice.games.base import Game
from roomservice.games.cabo import Cabo
from roomservice.games.tictactoe import TicTacToe


def builtin_games() -> list[Game]:
    return [TicTacToe(), Cabo(), Arena()]
