"""A tic-tac-toe strategy: win if it can, block if it must, else the centre, a corner, any cell."""

from __future__ import annotations

import random
from typing import Any

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def _completing(board: list[str | None], mark: str) -> int | None:
    for line in LINES:
        marks = [board[i] for i in line]
        if marks.count(mark) == 2 and marks.count(None) == 1:
            return line[marks.index(None)]
    return None


def choose(view: dict[str, Any], me: str, rng: random.Random) -> dict[str, Any] | None:
    if view["over"] or view["turn"] != me:
        return None
    board: list[str | None] = view["board"]
    mine = view["marks"][me]
    theirs = "O" if mine == "X" else "X"
    for cell in (_completing(board, mine), _completing(board, theirs)):
        if cell is not None:
            return {"cell": cell}
    free = [i for i, mark in enumerate(board) if mark is None]
    for group in ([4], [0, 2, 6, 8]):
        options = [i for i in group if i in free]
        if options:
            return {"cell": rng.choice(options)}
    return {"cell": rng.choice(free)}
