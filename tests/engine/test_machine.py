"""The game machine on its own: a game replays exactly from its seed and log, and each step's RNG is the
same stream whether or not anything is drawn from it before."""

from __future__ import annotations

import random
from typing import Any

from roomservice.bots import cabo
from roomservice.engine.machine import ACTION, END, LEAVE, TIMEOUT, GameMachine, Step, _LazyRandom
from roomservice.games.base import Context, InvalidAction, Outcome
from roomservice.games.cabo import Cabo


def test_lazy_random_draws_the_same_stream_as_random() -> None:
    for seed, step, ticks in ((1, 0, 0), (4242, 17, 3)):
        eager, lazy = random.Random(f"{seed}/{step}/{ticks}"), _LazyRandom(seed, step, ticks)
        deck_a, deck_b = list(range(52)), list(range(52))
        eager.shuffle(deck_a)
        lazy.shuffle(deck_b)
        assert deck_a == deck_b
        assert [eager.random(), eager.randrange(7), eager.getrandbits(90)] == [
            lazy.random(),
            lazy.randrange(7),
            lazy.getrandbits(90),
        ]


def test_a_rearmed_random_draws_the_next_steps_stream_whatever_was_drawn_before() -> None:
    lazy = _LazyRandom(1, 0, 0)
    lazy.random()
    lazy.gauss(0, 1)  # leaves the second of a pair of normal draws behind
    lazy.arm(4242, 17, 3)
    eager = random.Random("4242/17/3")
    assert [eager.gauss(0, 1), eager.random(), eager.getrandbits(40)] == [
        lazy.gauss(0, 1),
        lazy.random(),
        lazy.getrandbits(40),
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


def test_a_lost_seat_and_an_end_are_logged_steps_that_replay_exactly() -> None:
    players = ["ann", "bob", "cat"]
    live, _ = GameMachine.setup(Cabo(), seed=3, players=players, options={}, dev=False, now=0.0)
    first = live.state
    log = [Step(ACTION, p, {"move": "peek_initial", "cards": [0, 1]}, 1.0, 0) for p in players]
    log += [
        Step(LEAVE, "bob", None, 2.0, 0),
        Step(LEAVE, "bob", "kicked", 3.0, 0),
        Step(END, "ann", None, 4.0),
    ]
    changed = [live.apply(step) for step in log]
    assert changed[3] is None  # a dropped socket changes nothing in Cabo, and is not logged
    assert live.state["gone"] == {"bob": "kicked"}
    assert live.result() == {"winners": [], "abandoned": True}
    assert live.apply(Step(END, "ann", None, 5.0)) is None  # ending twice changes nothing

    again = GameMachine(
        Cabo(), seed=3, players=players, options=live.options, dev=False, state=first, started_at=0.0
    )
    again.replay(step for step, events in zip(log, changed, strict=True) if events is not None)
    assert (again.state, again.step, again.result()) == (live.state, live.step, live.result())


class _OldStyle(Cabo):
    """A plugin written before ``on_leave`` had a reason."""

    calls: list[str] = []

    def on_leave(self, state: Any, player: str, ctx: Context) -> Outcome:  # type: ignore[override]
        self.calls.append(player)
        return Outcome(state)


def test_an_old_style_on_leave_is_still_called_without_a_reason() -> None:
    game = _OldStyle()
    live, _ = GameMachine.setup(game, seed=1, players=["ann", "bob"], options={}, dev=False, now=0.0)
    live.apply(Step(LEAVE, "bob", None, 1.0))
    live.apply(Step(LEAVE, "bob", "left", 2.0))
    assert game.calls == ["bob", "bob"]
