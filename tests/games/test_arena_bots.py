"""The arena bot strategy: its choices on hand-made views, and five bots playing a whole match through
the pure rules, ticked and shown views at the engine's rates."""

from __future__ import annotations

import math
import random
from typing import Any

from roomservice.bots import arena as bot
from roomservice.engine.machine import ACTION, GameMachine, Step
from roomservice.games.arena import Arena, world

GAME = Arena()


def player(pid: str, x: float, y: float, status: int = 0, vx: float = 0.0, vy: float = 0.0) -> list[Any]:
    return [pid, x, y, vx, vy, 0.0, 100, 0, 0, status, "#000000"]


def view(*players: list[Any], shots: list[list[Any]] | None = None, t: int = 50) -> dict[str, Any]:
    return {"t": t, "ack": None, "end": 0, "kt": 10, "over": False, "p": list(players), "s": shots or []}


def test_it_aims_at_the_nearest_enemy_and_fires_with_a_clear_line() -> None:
    v = view(player("me", 2, 2), player("far", 2, 20), player("near", 9, 2), player("dead", 3, 2, status=1))
    move = bot.choose(v, "me", random.Random(1))
    assert move is not None
    assert move["seq"] == move["tick"] == 50
    assert move["aim"] == 0.0
    assert move["fire"] is True


def test_it_leads_a_moving_target() -> None:
    v = view(player("me", 2, 2), player("runner", 10, 2, vy=6.0))
    move = bot.choose(v, "me", random.Random(1))
    assert move is not None
    assert 0 < move["aim"] < math.pi / 4


def test_it_holds_fire_behind_a_wall() -> None:
    v = view(player("me", 4, 7), player("hiding", 10, 7))  # the wall (6, 4)-(8, 10) between them
    move = bot.choose(v, "me", random.Random(1))
    assert move is not None
    assert move["fire"] is False


def test_it_sidesteps_a_projectile_coming_at_it() -> None:
    shot = [5, 1, 12, 12, -24.0, 0.0]  # flying left, straight at the bot
    v = view(player("me", 10, 12), player("foe", 20, 12), shots=[shot])
    move = bot.choose(v, "me", random.Random(1))
    assert move is not None
    assert abs(move["move"][0]) < 1e-9 and abs(move["move"][1]) == 1.0


def test_it_waits_while_dead_or_over() -> None:
    assert bot.choose(view(player("me", 2, 2, status=1), player("x", 5, 5)), "me", random.Random(1)) is None
    assert bot.choose({**view(player("me", 2, 2)), "over": True}, "me", random.Random(1)) is None


def test_five_bots_play_a_whole_match() -> None:
    players = [f"bot{i}" for i in range(5)]
    machine, _ = GameMachine.setup(
        GAME, seed=11, players=players, options={"time_limit": 60}, dev=False, now=1_000.0
    )
    rngs = {p: random.Random(i) for i, p in enumerate(players)}
    rate = GAME.view_rate / GAME.tick_rate
    previous = machine.state
    while machine.result() is None:
        if int(machine.ticks * rate) != int((machine.ticks - 1) * rate):  # a view is due, as the runner does
            for p in players:
                move = bot.choose(machine.view(p), p, rngs[p])
                if move is not None:
                    machine.apply(Step(ACTION, p, move, machine.now, machine.ticks))
        machine.tick()
        for pid, p in machine.state["players"].items():
            old = previous["players"][pid]
            if p["alive"] and old["alive"]:
                assert (
                    math.dist((p["x"], p["y"]), (old["x"], old["y"])) <= world.SPEED / world.TICK_RATE + 1e-3
                )
        previous = machine.state
        assert machine.ticks <= 60 * world.TICK_RATE
    result = machine.result()
    assert result is not None
    kills = sum(result["kills"].values())
    assert kills == sum(result["deaths"].values()) > 5
    assert result["winners"] and set(result["placement"]) == set(players)
    assert result["reason"] in {"time_limit", "kill_target"}
