"""Random arena input streams: only ``InvalidAction`` is ever raised, states stay plain JSON and are never
mutated, no one outruns the cap, views differ only in the viewer's own ``ack``, and the same seed and
inputs replay to the same states (also from a JSON snapshot and the log, as after a restart)."""

from __future__ import annotations

import contextlib
import math
import random
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomservice.engine.machine import ACTION, LEAVE, GameMachine, Step
from roomservice.games.arena import Arena, world
from roomservice.games.base import InvalidAction

GAME = Arena()
PLAYERS = ["ann", "bob", "cy", "dee", "eve"]
STEP = world.SPEED / world.TICK_RATE


def encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


def random_input(rng: random.Random, seq: int, tick: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "tick": max(tick - rng.randrange(12), 0),
        "move": [rng.uniform(-3, 3), rng.uniform(-3, 3)],
        "aim": rng.uniform(-10, 10),
        "fire": rng.random() < 0.6,
    }


def script(seed: int, ticks: int) -> list[tuple[str, str | None, Any]]:
    """A stream of ticks, inputs (some stale, some bursts) and a leave, the same for the same seed."""
    rng = random.Random(seed)
    seqs = dict.fromkeys(PLAYERS, 0)
    steps: list[tuple[str, str | None, Any]] = []
    for t in range(ticks):
        for p in PLAYERS:
            for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
                seqs[p] += rng.choice((1, 1, 1, 2, -1))
                steps.append((ACTION, p, random_input(rng, max(seqs[p], 0), t)))
        if t == ticks // 2:
            steps.append((LEAVE, "eve", None))
        steps.append(("tick", None, None))
    return steps


def run(seed: int, steps: list[tuple[str, str | None, Any]]) -> tuple[GameMachine, list[bytes], list[Step]]:
    machine, _ = GameMachine.setup(
        GAME, seed=seed, players=PLAYERS, options={"kill_target": 100}, dev=False, now=1000.0
    )
    states, log = [encode(machine.state)], []
    for kind, player, payload in steps:
        if kind == "tick":
            machine.tick()
        else:
            step = Step(kind, player, payload, machine.now, machine.ticks)
            try:
                if machine.apply(step) is not None:
                    log.append(step)
            except InvalidAction:
                pass
        states.append(encode(machine.state))
    return machine, states, log


def test_the_same_seed_and_inputs_replay_to_the_same_states() -> None:
    steps = script(7, 240)
    first, states, log = run(7, steps)
    _, states_again, _ = run(7, steps)
    assert states == states_again
    assert first.state["next_shot"] > 20  # a stream that fires, and hits:
    assert any(p["deaths"] or p["hp"] < world.MAX_HEALTH for p in first.state["players"].values())
    # As after a restart: the opening snapshot through JSON, then the log with the ticks before each step.
    machine, _ = GameMachine.setup(
        GAME, seed=7, players=PLAYERS, options={"kill_target": 100}, dev=False, now=1000.0
    )
    machine.state = msgspec.json.decode(encode(machine.state))
    machine.replay(log)
    while machine.ticks < first.ticks:
        machine.tick()
    assert encode(machine.state) == states[-1]


def test_only_the_inputs_matter() -> None:
    """The arena draws no randomness: another seed with the same inputs plays the same match, and
    other inputs play another."""
    assert run(1, script(1, 60))[1] == run(2, script(1, 60))[1]
    assert run(1, script(1, 60))[1][-1] != run(1, script(2, 60))[1][-1]


def test_a_state_restored_from_json_goes_on_identically() -> None:
    steps = script(3, 120)
    machine, _, _ = run(3, steps[: len(steps) // 2])
    restored, _ = GameMachine.setup(
        GAME, seed=3, players=PLAYERS, options={"kill_target": 100}, dev=False, now=1000.0
    )
    restored.restore(machine.checkpoint())
    restored.state = msgspec.json.decode(encode(machine.state))
    for m in (machine, restored):
        for kind, player, payload in steps[len(steps) // 2 :]:
            if kind == "tick":
                m.tick()
            else:
                with contextlib.suppress(InvalidAction):
                    m.apply(Step(kind, player, payload, m.now, m.ticks))
    assert encode(restored.state) == encode(machine.state)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=8,
)
NUMBER = st.integers(-(2**70), 2**70) | st.floats() | st.booleans()
NEAR_INPUT = st.fixed_dictionaries(
    {
        "seq": st.integers(-3, 2**54) | st.integers(0, 40),
        "tick": st.integers(-3, 2**54) | st.integers(0, 400),
        "move": st.lists(NUMBER, min_size=1, max_size=3) | st.tuples(NUMBER, NUMBER).map(list),
        "aim": NUMBER,
        "fire": st.booleans() | st.integers(0, 1),
    }
)
STEPS = st.lists(
    st.one_of(
        st.just(("tick", None, None)),
        st.tuples(st.just(ACTION), st.sampled_from([*PLAYERS, "zed"]), NEAR_INPUT | JSON),
        st.tuples(st.just(LEAVE), st.sampled_from(PLAYERS), st.none()),
    ),
    max_size=120,
)


def check_views(state: Any) -> None:
    views = {viewer: GAME.view(state, viewer) for viewer in [*PLAYERS, None]}
    for viewer, view in views.items():
        own = state["players"][viewer]["ack"] if viewer is not None else None
        assert view["ack"] == own
        assert {**view, "ack": None} == {**views[None], "ack": None}
        encode(view)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, seed=st.integers(0, 2**32))
def test_random_streams_raise_only_invalid_action(
    steps: list[tuple[str, str | None, Any]], seed: int
) -> None:
    machine, _ = GameMachine.setup(GAME, seed=seed, players=PLAYERS, options={}, dev=False, now=5.0)
    for kind, player, payload in steps:
        before = machine.state
        frozen = encode(before)
        if kind == "tick":
            machine.tick()
        else:
            try:
                machine.apply(Step(kind, player, payload, machine.now, machine.ticks))
            except InvalidAction as refused:
                assert refused.code in {"invalid_input", "input_queue_full", "not_a_player", "game_over"}
                assert machine.state is before
        assert encode(before) == frozen  # the old state was not touched
        state = machine.state
        assert msgspec.json.decode(encode(state)) == state  # plain JSON, nothing lost
        if kind == "tick" and not before["over"]:
            for pid, p in state["players"].items():
                old = before["players"][pid]
                if p["alive"] and old["alive"]:
                    assert math.dist((p["x"], p["y"]), (old["x"], old["y"])) <= STEP + 1e-3
        for p in state["players"].values():
            assert len(p["queue"]) <= world.QUEUE_LIMIT
        assert len(state["history"]) <= world.HISTORY_TICKS
        check_views(state)
