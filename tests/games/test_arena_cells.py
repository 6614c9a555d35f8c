"""The arena's open cells: a step from one meets no wall, so ``move`` and a projectile's step skip the
walls there and give what looking at every wall gives."""

from __future__ import annotations

import random

from roomservice.games.arena import rules, world


def _move_wall_by_wall(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    """``world.move`` looking at every wall on every step."""
    nx = min(max(x + dx, world.RADIUS), world.WIDTH - world.RADIUS)
    if nx != x:
        for x0, y0, x1, y1 in world._BLOCKS:
            if y0 < y < y1:
                if x <= x0 < nx:
                    nx = x0
                elif nx < x1 <= x:
                    nx = x1
    ny = min(max(y + dy, world.RADIUS), world.HEIGHT - world.RADIUS)
    if ny != y:
        for x0, y0, x1, y1 in world._BLOCKS:
            if x0 < nx < x1:
                if y <= y0 < ny:
                    ny = y0
                elif ny < y1 <= y:
                    ny = y1
    return world.round3(nx), world.round3(ny)


def _points(rng: random.Random, count: int) -> list[tuple[float, float, float, float]]:
    points = []
    for _ in range(count):
        x, y = rng.uniform(0.5, world.WIDTH - 0.5), rng.uniform(0.5, world.HEIGHT - 0.5)
        if rng.random() < 0.3:  # on a cell's edge or a wall's
            x, y = float(round(x * 2) / 2), float(round(y * 2) / 2)
        reach = rng.choice((0.2, 0.8, 0.999, 1.0, 3.0))
        points.append((x, y, rng.uniform(-reach, reach), rng.uniform(-reach, reach)))
    return points


def test_moves_from_open_cells_are_what_every_wall_gives() -> None:
    rng = random.Random(7)
    for x, y, dx, dy in _points(rng, 60_000):
        assert world.move(x, y, dx, dy) == _move_wall_by_wall(x, y, dx, dy), (x, y, dx, dy)


def test_steps_from_open_cells_meet_no_wall() -> None:
    rng = random.Random(11)
    for x, y, dx, dy in _points(rng, 60_000):
        if -1.0 < dx < 1.0 and -1.0 < dy < 1.0 and (x // 1.0, y // 1.0) in world.SHOT_CELLS:
            assert world.wall_hit(x, y, dx, dy) is None, (x, y, dx, dy)


def test_open_cells_cover_most_of_the_arena_and_none_next_to_a_wall() -> None:
    cells = int(world.WIDTH * world.HEIGHT)
    assert len(world.MOVE_CELLS) > cells / 2 and len(world.SHOT_CELLS) > cells / 2
    for x0, y0, x1, y1 in world.WALLS:
        for cx, cy in ((int(x0), int(y0)), (int(x1) - 1, int(y1) - 1)):
            assert (cx, cy) not in world.SHOT_CELLS and (cx, cy) not in world.MOVE_CELLS
    assert not {(cx, cy) for cx, cy in world.SHOT_CELLS if cx < 1 or cy < 1 or cx > 30 or cy > 22}


def test_a_projectile_step_from_an_open_cell_hits_as_before() -> None:
    """The shooter itself and a seat gone are passed over, the nearest target in reach is hit."""
    state = rules.new_state(["a", "b", "c"], 60, 10, 0.0)
    targets: list[list[float] | None] = [[5.0, 5.0], None, [5.5, 5.0]]
    assert (4, 5) in world.SHOT_CELLS
    events: list = []
    assert rules._step(state, [1, 0, 4.9, 5.0, 24.0, 0.0, 0], targets, events) is None
    assert [e.data["player"] for e in events] == ["c"]
    # Far from everyone, in the open: the shot flies on, rounded as the view sends it.
    assert rules._step(state, [2, 2, 20.0, 2.0, 24.0, 0.0, 0], targets, []) == [2, 2, 20.8, 2.0, 24.0, 0.0, 0]
    # Next to a wall, the wall stops it.
    assert (7, 3) not in world.SHOT_CELLS
    assert rules._step(state, [3, 2, 5.5, 3.5, 24.0, 24.0, 0], targets, []) is None
