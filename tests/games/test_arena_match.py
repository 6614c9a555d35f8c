"""An arena match: hits and deaths, respawns at the farthest free spawn, the two ends, leaving, the
result and the view."""

from __future__ import annotations

import math
import uuid

import msgspec
import pytest
from arena_table import GAME, NOW, Table, ctx

from roomservice.games.arena import rules, world
from roomservice.games.base import InvalidAction


def kill(table: Table, shooter: str, victim: str) -> None:
    """``victim`` on its last hit point, point blank in front of ``shooter``; one shot."""
    sx, sy = table.p(shooter)["x"], table.p(shooter)["y"]
    table.place(victim, sx + 1.5, sy)
    table.p(victim)["hp"] = world.DAMAGE
    table.send(shooter, aim=0.0, fire=True)
    table.send(shooter, fire=False)
    table.tick(2)


def test_a_hit_costs_health() -> None:
    table = Table()
    table.place("a", 2.0, 2.0)
    table.place("b", 4.0, 2.0)
    table.send("a", fire=True)
    table.send("a", fire=False)
    table.tick(3)
    assert table.p("b")["hp"] == world.MAX_HEALTH - world.DAMAGE
    assert table.p("b")["alive"]


def test_death_and_respawn_at_the_free_spawn_farthest_from_enemies() -> None:
    table = Table()
    table.place("a", 2.0, 2.0)
    table.place("c", 2.0, 22.0)
    kill(table, "a", "b")
    b = table.p("b")
    assert (b["alive"], b["hp"], b["deaths"], table.p("a")["kills"]) == (False, 0, 1, 1)
    assert [e.type for e in table.events] == ["hit", "killed"]
    died = table.state["tick"] - 1
    # Farthest from both enemies at the left edge: the middle of the right edge.
    assert rules.spawn_point(table.state, "b") == (30.0, 12.0)
    table.tick(died + world.RESPAWN_TICKS - table.state["tick"] - 1)
    assert not table.p("b")["alive"]
    table.tick()
    b = table.p("b")
    assert (b["alive"], b["hp"], b["x"], b["y"]) == (True, world.MAX_HEALTH, 30.0, 12.0)
    assert table.events[-1].type == "respawned"


def test_a_spawn_point_next_to_a_living_player_is_not_free() -> None:
    table = Table("abcde")
    # Everyone else stands on a spawn point, the far corner included; the point 2 units from d is free.
    for pid, (x, y) in zip("acde", [(2.0, 2.0), (2.0, 22.0), (30.0, 22.0), (30.0, 3.0)], strict=True):
        table.place(pid, x, y)
    table.p("b").update(alive=False)
    spawn = rules.spawn_point(table.state, "b")
    assert spawn not in [(30.0, 22.0), (30.0, 2.0)]
    nearest = min(math.dist(spawn, (p["x"], p["y"])) for p in table.state["players"].values() if p["alive"])
    assert nearest >= world.SPAWN_CLEARANCE


def test_the_kill_target_ends_the_match() -> None:
    table = Table(kill_target=2)
    table.place("a", 2.0, 2.0)
    kill(table, "a", "b")
    assert GAME.result(table.state) is None
    table.tick(world.COOLDOWN_TICKS)
    kill(table, "a", "c")
    assert table.state["over"]
    result = GAME.result(table.state)
    assert result == {
        "winners": ["a"],
        "placement": {"a": 1, "b": 2, "c": 2},
        "kills": {"a": 2, "b": 0, "c": 0},
        "deaths": {"a": 0, "b": 1, "c": 1},
        "reason": "kill_target",
    }
    assert table.events[-1].type == "game_over"
    # Over is over: ticks and inputs change nothing.
    over = table.state
    assert GAME.tick(over, 1 / 30, ctx()).state is over
    with pytest.raises(InvalidAction) as refused:
        table.send("a")
    assert refused.value.code == "game_over"


def test_the_time_limit_ends_the_match_with_placement() -> None:
    table = Table("abcd", time_limit=10)
    table.p("a").update(kills=3, deaths=2)
    table.p("b").update(kills=3, deaths=1)
    table.p("c").update(kills=3, deaths=1)
    table.p("d").update(kills=0, deaths=5)
    table.tick(10 * world.TICK_RATE - 1)
    assert GAME.result(table.state) is None
    table.tick()
    result = GAME.result(table.state)
    assert result is not None
    assert result["reason"] == "time_limit"
    assert result["placement"] == {"b": 1, "c": 1, "a": 3, "d": 4}
    assert result["winners"] == ["b", "c"]


def test_the_end_is_in_the_view_as_epoch_ms() -> None:
    table = Table(time_limit=60)
    assert GAME.view(table.state, "a")["end"] == round((NOW + 60) * 1000)


def test_a_player_who_leaves_is_out_and_two_are_needed() -> None:
    table = Table()
    table.p("c").update(kills=4)
    table.send("a", fire=True)
    table.tick()
    assert table.state["shots"]
    table.state = GAME.on_leave(table.state, "a", ctx(), "left").state
    a = table.p("a")
    assert (a["left"], a["alive"], table.state["shots"]) == (True, False, [])
    assert not table.state["over"]
    with pytest.raises(InvalidAction) as refused:
        table.send("a")
    assert refused.value.code == "not_a_player"
    assert table.state["history"][-1][1][0] is not None  # the history is only rewritten by ticks
    table.tick()
    assert table.state["history"][-1][1][0] is None
    same = table.state
    assert GAME.on_leave(same, "a", ctx(), "left").state is same  # leaving twice changes nothing
    table.state = GAME.on_leave(table.state, "c", ctx(), "kicked").state
    result = GAME.result(table.state)
    assert result is not None
    assert result["reason"] == "players"
    assert result["winners"] == ["b"]  # c had more kills but left
    assert result["placement"] == {"b": 1, "c": 2, "a": 3}


def test_the_view_is_compact_and_acks_the_viewers_own_input() -> None:
    table = Table("abcde")
    table.send("a", seq=7)
    table.send("b", seq=3)
    table.tick()
    for viewer, ack in (("a", 7), ("b", 3), ("c", None), (None, None)):
        assert GAME.view(table.state, viewer)["ack"] == ack
    view = GAME.view(table.state, "a")
    assert set(view) == {"t", "ack", "end", "kt", "over", "p", "s"}
    assert view["t"] == 1
    assert view["p"][0] == ["a", 2.0, 2.0, 0.0, 0.0, 0.0, 100, 0, 0, 0, world.COLOURS[0]]


def test_a_five_player_view_stays_small() -> None:
    """The largest view: five players (named like sessions) moving, each with the most shots one can
    have in flight."""
    ids = [str(uuid.UUID(int=n)) for n in range(5)]
    table = Table(ids)
    for i, pid in enumerate(ids):
        table.send(pid, (1.0, 0.5), aim=1.0 + i)
    table.tick(5)
    per_player = math.ceil(world.SHOT_TICKS / world.COOLDOWN_TICKS)
    table.state["shots"] = [
        [n, seat, 12.35, 7.89, 21.4, -10.4, 5] for seat in range(5) for n in range(per_player)
    ]
    view = GAME.view(table.state, ids[0])
    assert len(view["s"]) == 20
    assert len(msgspec.json.encode(view)) < 1100
    quiet = {**view, "s": []}
    assert len(msgspec.json.encode(quiet)) < 550


def test_a_dropped_connection_keeps_the_player_in_play() -> None:
    table = Table()
    same = table.state
    assert GAME.on_leave(same, "a", ctx()).state is same  # no reason: the socket dropped, the seat stays
    assert not table.p("a")["left"]
