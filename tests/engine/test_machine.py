"""The game machine on its own: a game replays exactly from its seed and log, and each step's RNG is the
same stream whether or not anything is drawn from it before."""

from __future__ import annotations

import random

from roomservice.bots import cabo
from roomservice.engine.machine import ACTION, TIMEOUT, GameMachine, Step, _LazyRandom
from roomservice.games.base import InvalidAction
from roomservice.games.cabo import Cabo


def test_lazy_random_draws_the_same_stream_as_random() -> None:
    for seed in ("1/0/0", "4242/17/3"):
        eager, lazy = random.Random(seed), _LazyRandom(seed)
        deck_a, deck_b = list(range(52)), list(range(52))
        eager.shuffle(deck_a)
        lazy.shuffle(deck_b)
        assert deck_a == deck_b
        assert [eager.random(), eager.randrange(7), eager.getrandbits(90)] == [
            lazy.random(),
            lazy.randrange(7),
            lazy.getrandbits(90),
        ]


def test_a_game_replays_exactly_from_its_log() -> None:
    players = ["ann", "bob", "cat"]
    live, _ = GameMachine.setup(
        Cabo(), seed=7, players=players, options={"peek_seconds": 5}, dev=False, now=0.0
    )
    first_state = live.state
    rng = random.Random(1)
    log: list[Step] = []
    now = 0.0
    while live.result() is None and len(log) < 3000:
        now += 1.0
        view_of = {p: live.view(p) for p in players}
        moves = [(p, cabo.choose(view_of[p], p, rng)) for p in players]
        acted = False
        for player, move in moves:
            if move is None:
                continue
            step = Step(ACTION, player, move, now, live.ticks)
            try:
                if live.apply(step) is not None:
                    log.append(step)
                    acted = True
                    break
            except InvalidAction:
                continue
        if not acted:  # nobody can move: let the clock run out
            step = Step(TIMEOUT, None, None, now + 600, live.ticks)
            if live.apply(step) is not None:
                log.append(step)
    assert live.result() is not None

    again = GameMachine(
        Cabo(), seed=7, players=players, options=live.options, dev=False, state=first_state, started_at=0.0
    )
    again.replay(log)
    assert again.state == live.state and again.version == live.version
