"""Lag compensation on scripted histories: a shot is judged where its targets were at the tick the
shooter saw, rewinding at most 200 ms."""

from __future__ import annotations

import pytest
from arena_table import Table

from roomservice.games.arena import world

#: The server tick the shot is applied at (the table is brought to NOW - 1 first).
NOW = 21
IN_LINE, AWAY = (5.0, 2.0), (5.0, 6.0)


def shoot(saw: int, in_line_until: int) -> Table:
    """``a`` at (2, 2) fires along +x having seen tick ``saw``; ``b`` stood 3 units ahead of it up to
    tick ``in_line_until`` and stands 4 units off the line since."""
    table = Table()
    table.place("c", 30.0, 22.0)
    table.tick(NOW - 1)
    table.place("a", 2.0, 2.0)
    table.place("b", *AWAY)
    table.script("b", {t: IN_LINE for t in range(0, in_line_until + 1)})
    table.send("a", aim=0.0, fire=True, tick=saw)
    table.send("a", fire=False, tick=saw + 1)
    table.tick(world.SHOT_TICKS)
    return table


def test_the_rewind_is_the_ticks_since_the_tick_the_shooter_saw() -> None:
    table = Table()
    table.tick(NOW - 1)
    for saw, rewind in ((NOW - 1, 1), (NOW - 5, 5), (NOW - 6, 6), (NOW - 20, 6), (NOW + 3, 0)):
        table.send("a", tick=saw)
        table.tick()
        assert table.p("a")["rewind"] == rewind
        table.state["tick"] -= 1  # apply the next one at the same tick


def test_a_hit_only_lag_compensation_awards() -> None:
    # b left the line at tick 20; a shooter who saw tick 16 (5 ticks, 167 ms ago) saw b in it.
    lagged = shoot(saw=NOW - 5, in_line_until=NOW - 2)
    assert lagged.p("b")["hp"] == world.MAX_HEALTH - world.DAMAGE
    assert [e.type for e in lagged.events] == ["hit"]
    assert dict(lagged.events[0].data) == {"by": "a", "player": "b", "hp": 75}
    # The same shot from a shooter who saw the present misses: b is no longer there.
    current = shoot(saw=NOW - 1, in_line_until=NOW - 2)
    assert current.p("b")["hp"] == world.MAX_HEALTH
    assert current.events == []


def test_a_shot_older_than_200_ms_is_judged_at_the_bound() -> None:
    # b was in line until tick 13 only: rewinding the full 11 ticks would hit, 6 ticks (200 ms) misses.
    late = shoot(saw=NOW - 11, in_line_until=NOW - 8)
    assert late.p("b")["hp"] == world.MAX_HEALTH
    # Within the bound the same relative timing hits.
    in_time = shoot(saw=NOW - 6, in_line_until=NOW - 3)
    assert in_time.p("b")["hp"] == world.MAX_HEALTH - world.DAMAGE


def test_the_history_covers_a_second_and_stays_bounded() -> None:
    table = Table()
    table.tick(100)
    ticks = [entry[0] for entry in table.state["history"]]
    assert ticks == list(range(100 - world.HISTORY_TICKS + 1, 101))
    assert (ticks[-1] - ticks[0]) / world.TICK_RATE >= 1.0


@pytest.mark.parametrize("dead", [True, False])
def test_the_dead_are_not_in_the_history(dead: bool) -> None:
    table = Table()
    if dead:
        table.p("b").update(alive=False, respawn=10_000)
    table.tick()
    assert (table.state["history"][-1][1][1] is None) is dead
