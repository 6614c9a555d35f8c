"""Arena inputs and movement: the speed cap, the fire cooldown, stale inputs, the queue, walls."""

from __future__ import annotations

import math
from typing import Any

import pytest
from arena_table import GAME, Table, ctx

from roomservice.engine.machine import ACTION, GameMachine, Step
from roomservice.games.arena import world
from roomservice.games.base import InvalidAction

STEP = world.SPEED / world.TICK_RATE


def test_options_defaults_and_bounds() -> None:
    assert GAME.validate_options({}, ctx()) == {"time_limit": 120, "kill_target": 10}
    assert GAME.validate_options({"time_limit": 10, "kill_target": 100}, ctx()) == {
        "time_limit": 10,
        "kill_target": 100,
    }
    for bad in ({"time_limit": 9}, {"time_limit": 601}, {"kill_target": 0}, {"kill_target": True}, {"x": 1}):
        with pytest.raises(InvalidAction) as refused:
            GAME.validate_options(bad, ctx())
        assert refused.value.code == "invalid_options"


@pytest.mark.parametrize("players", ["ab", "abcdef", "aab"])
def test_three_to_five_distinct_players(players: str) -> None:
    with pytest.raises(InvalidAction) as refused:
        GAME.setup(list(players), {}, ctx())
    assert refused.value.code == "wrong_player_count"


def test_a_speed_hack_moves_no_faster_than_the_cap() -> None:
    honest, cheat = Table(), Table()
    for table, move in ((honest, (1.0, 0.0)), (cheat, (100.0, 0.0))):
        table.place("a", 2.0, 2.0)
        for _ in range(15):
            table.send("a", move)
            table.tick()
    assert cheat.p("a")["x"] == honest.p("a")["x"] == pytest.approx(2.0 + 15 * STEP)
    assert cheat.p("a")["vx"] == pytest.approx(world.SPEED)


def test_a_flood_of_inputs_applies_one_per_tick() -> None:
    table = Table()
    table.place("a", 2.0, 2.0)
    for _ in range(world.QUEUE_LIMIT):
        table.send("a", (1.0, 0.0))
    table.tick()
    assert table.p("a")["ack"] == 1
    assert len(table.p("a")["queue"]) == world.QUEUE_LIMIT - 1
    assert table.p("a")["x"] == pytest.approx(2.0 + STEP)
    table.tick(world.QUEUE_LIMIT - 1)
    assert table.p("a")["ack"] == world.QUEUE_LIMIT
    assert table.p("a")["x"] == pytest.approx(2.0 + world.QUEUE_LIMIT * STEP)


def test_the_queue_is_bounded() -> None:
    table = Table()
    for _ in range(world.QUEUE_LIMIT):
        table.send("a")
    before = table.state
    with pytest.raises(InvalidAction) as refused:
        table.send("a")
    assert refused.value.code == "input_queue_full"
    assert table.state is before
    table.tick()
    table.send("a")  # one slot free again
    assert len(table.p("a")["queue"]) == world.QUEUE_LIMIT


def test_a_stale_seq_is_ignored_silently() -> None:
    table = Table()
    table.send("a", (1.0, 0.0), seq=5)
    before = table.state
    for seq in (5, 4, 0):
        assert table.send("a", (-1.0, 0.0), seq=seq) is before
    table.tick()
    assert table.p("a")["ack"] == 5
    assert table.send("a", seq=5) is table.state  # older than the last applied as well


def test_a_stale_input_is_not_logged_by_the_engine() -> None:
    machine, _ = GameMachine.setup(GAME, seed=1, players=list("abc"), options={}, dev=False, now=0.0)
    payload = {"seq": 3, "tick": 0, "move": [0, 1], "aim": 0, "fire": False}
    assert machine.apply(Step(ACTION, "a", payload, 0.0)) == []
    assert machine.apply(Step(ACTION, "a", payload, 0.0)) is None
    assert machine.step == 1


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {},
        {"seq": 1, "tick": 0, "move": [0, 0], "aim": 0},
        {"seq": 1, "tick": 0, "move": [0, 0], "aim": 0, "fire": False, "x": 1},
        {"seq": -1, "tick": 0, "move": [0, 0], "aim": 0, "fire": False},
        {"seq": 1.0, "tick": 0, "move": [0, 0], "aim": 0, "fire": False},
        {"seq": True, "tick": 0, "move": [0, 0], "aim": 0, "fire": False},
        {"seq": 2**60, "tick": 0, "move": [0, 0], "aim": 0, "fire": False},
        {"seq": 1, "tick": "0", "move": [0, 0], "aim": 0, "fire": False},
        {"seq": 1, "tick": 0, "move": [0], "aim": 0, "fire": False},
        {"seq": 1, "tick": 0, "move": [0, "1"], "aim": 0, "fire": False},
        {"seq": 1, "tick": 0, "move": [0, math.nan], "aim": 0, "fire": False},
        {"seq": 1, "tick": 0, "move": [10**400, 0], "aim": 0, "fire": False},
        {"seq": 1, "tick": 0, "move": [0, 0], "aim": math.inf, "fire": False},
        {"seq": 1, "tick": 0, "move": [0, 0], "aim": 0, "fire": 1},
    ],
)
def test_a_malformed_input_is_refused(payload: Any) -> None:
    table = Table()
    before = table.state
    with pytest.raises(InvalidAction) as refused:
        GAME.apply(before, "a", payload, ctx())
    assert refused.value.code == "invalid_input"


def test_only_players_in_play_send_inputs() -> None:
    table = Table()
    with pytest.raises(InvalidAction) as refused:
        table.send("z")
    assert refused.value.code == "not_a_player"


def test_rapid_fire_is_held_to_the_cooldown() -> None:
    table = Table()
    table.place("a", 2.0, 12.0)  # facing left into the border: every shot dies at once
    for _ in range(30):
        table.send("a", aim=math.pi, fire=True)
        table.tick()
    fired = table.state["next_shot"] - 1
    assert fired == math.ceil(30 / world.COOLDOWN_TICKS) == 4


def test_toggling_the_trigger_every_tick_does_not_beat_the_cooldown() -> None:
    table = Table()
    table.place("a", 2.0, 12.0)
    for i in range(30):
        for _ in range(3):  # a burst of inputs each tick, fire on and off, until the queue is full
            try:
                table.send("a", aim=math.pi, fire=i % 2 == 0)
            except InvalidAction as refused:
                assert refused.code == "input_queue_full"
        table.tick()
    assert table.state["next_shot"] - 1 <= math.ceil(30 / world.COOLDOWN_TICKS)


def test_fire_held_without_new_inputs_keeps_the_cooldown() -> None:
    table = Table()
    table.send("a", aim=math.pi, fire=True)
    table.tick(world.TICK_RATE)
    assert table.state["next_shot"] - 1 == 4


def test_walls_block_and_players_slide_along_them() -> None:
    table = Table()
    table.place("a", 5.0, 7.0)  # left of the wall (6, 4)-(8, 10)
    for _ in range(30):
        table.send("a", (1.0, 0.0))
        table.tick()
    assert table.p("a")["x"] == 6.0 - world.RADIUS
    assert table.p("a")["vx"] == 0.0
    for _ in range(10):
        table.send("a", (0.6, 0.8))
        table.tick()
    p = table.p("a")
    assert p["x"] == 6.0 - world.RADIUS  # still against the wall,
    assert p["y"] == pytest.approx(7.0 + 10 * 0.8 * STEP)  # sliding down it
    for _ in range(20):
        table.send("a", (0.6, 0.8))
        table.tick()
    assert table.p("a")["x"] > 6.0  # and round its corner


def test_the_border_blocks() -> None:
    table = Table()
    table.place("a", 1.0, 1.0)
    for _ in range(10):
        table.send("a", (-1.0, -1.0))
        table.tick()
    assert (table.p("a")["x"], table.p("a")["y"]) == (world.RADIUS, world.RADIUS)


def test_walls_stop_projectiles() -> None:
    table = Table()
    table.place("a", 4.0, 7.0)
    table.place("b", 10.0, 7.0)  # behind the wall (6, 4)-(8, 10)
    table.send("a", fire=True)
    table.send("a", fire=False)
    table.tick(40)
    assert table.p("b")["hp"] == world.MAX_HEALTH
    assert table.state["shots"] == []
