"""The bots' strategies without a server: pure functions from a view to a move, played here straight
against the game machine."""

from __future__ import annotations

import random

from roomservice.bots import cabo, tictactoe
from roomservice.engine.machine import ACTION, TIMEOUT, GameMachine, Step
from roomservice.games.base import InvalidAction
from roomservice.games.cabo import Cabo
from roomservice.games.tictactoe import TicTacToe


def test_tictactoe_bots_move_only_on_their_turn_and_only_legally() -> None:
    players = ["x", "o"]
    for seed in range(40):
        machine, _ = GameMachine.setup(
            TicTacToe(), seed=seed, players=players, options={}, dev=False, now=0.0
        )
        rng = random.Random(seed)
        moves = 0
        while machine.result() is None:
            on_turn = machine.view(players[0])["turn"]
            assert all(tictactoe.choose(machine.view(p), p, rng) is None for p in players if p != on_turn)
            move = tictactoe.choose(machine.view(on_turn), on_turn, rng)
            assert move is not None
            machine.apply(Step(ACTION, on_turn, move, float(moves), 0))  # raises if illegal
            moves += 1
        assert moves <= 9
        assert all(tictactoe.choose(machine.view(p), p, rng) is None for p in players)


def test_a_tictactoe_bot_takes_a_win_before_blocking() -> None:
    machine, _ = GameMachine.setup(TicTacToe(), seed=1, players=["x", "o"], options={}, dev=False, now=0.0)
    for player, cell in (("x", 0), ("o", 3), ("x", 1), ("o", 4)):
        machine.apply(Step(ACTION, player, {"cell": cell}, 0.0, 0))
    assert tictactoe.choose(machine.view("x"), "x", random.Random(0)) == {"cell": 2}


def test_cabo_bots_finish_games_with_few_refused_moves() -> None:
    players = ["ann", "bob", "cat", "dan"]
    for seed in range(3):
        machine, _ = GameMachine.setup(
            Cabo(), seed=seed, players=players, options={"peek_seconds": 5}, dev=False, now=0.0
        )
        rng = random.Random(seed)
        accepted = refused = 0
        now = 0.0
        while machine.result() is None and accepted < 5000:
            now += 1.0
            acted = False
            for player in players:
                move = cabo.choose(machine.view(player), player, rng)
                if move is None:
                    continue
                try:
                    machine.apply(Step(ACTION, player, move, now, 0))
                except InvalidAction:
                    refused += 1
                    continue
                accepted += 1
                acted = True
                break
            if not acted:  # everyone waits: let the clock run out
                machine.apply(Step(TIMEOUT, None, None, now + 600, 0))
        assert machine.result() is not None
        assert refused <= accepted // 10, (seed, accepted, refused)
