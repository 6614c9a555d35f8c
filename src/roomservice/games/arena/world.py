"""The arena's fixed world: its size, walls and spawn points, the tuning numbers, and the geometry.

Units are arena units (a player is one unit across); x grows to the right, y grows downwards, angles
are radians from the x axis towards y. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable

#: Simulation ticks per second and view frames per second.
TICK_RATE = 30
VIEW_RATE = 20

WIDTH = 32.0
HEIGHT = 24.0
#: A player's half-size against walls (players collide with walls as squares) and radius for shots.
RADIUS = 0.5
HIT_RADIUS = 0.6

#: The speed cap, in units per second: a ``move`` of length 1 moves this fast, never faster.
SPEED = 6.0
#: Projectiles: speed in units per second and lifetime in ticks (1 s, so a range of 24 units).
SHOT_SPEED = 24.0
SHOT_TICKS = 30
#: Ticks between two shots of one player (8 ticks ≈ 267 ms, at most 3.75 shots a second).
COOLDOWN_TICKS = 8
MAX_HEALTH = 100
DAMAGE = 25
#: A dead player comes back after 2 s.
RESPAWN_TICKS = 2 * TICK_RATE
#: Positions kept for lag compensation: 31 ticks, a little over 1 s.
HISTORY_TICKS = TICK_RATE + 1
#: The farthest a shot is rewound: 200 ms.
MAX_REWIND_TICKS = TICK_RATE * 200 // 1000
#: A spawn point with a living player closer than this is taken.
SPAWN_CLEARANCE = 2.0
#: Inputs waiting per player; one more is refused with ``input_queue_full``.
QUEUE_LIMIT = 8

#: Interior walls as (x0, y0, x1, y1); the arena's border is a wall too.
WALLS: tuple[tuple[float, float, float, float], ...] = (
    (6.0, 4.0, 8.0, 10.0),
    (24.0, 14.0, 26.0, 20.0),
    (14.0, 10.0, 18.0, 14.0),
    (10.0, 18.0, 16.0, 19.0),
    (16.0, 5.0, 22.0, 6.0),
)
#: Spawn points; the first five are the seats' starting places, spread apart.
SPAWNS: tuple[tuple[float, float], ...] = (
    (2.0, 2.0),
    (30.0, 22.0),
    (30.0, 2.0),
    (2.0, 22.0),
    (16.0, 2.0),
    (16.0, 22.0),
    (2.0, 12.0),
    (30.0, 12.0),
)
#: One colour per seat.
COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4")

#: Adding and taking away this rounds a float of magnitude below 2**51 to an integer, half to even.
_RINT = 1.5 * 2.0**52


def rounding(places: int) -> Callable[[float], float]:
    """``round(x, places)`` for a float ``x``, the very same float, at a third of the cost.

    ``x * 10**places`` is one correctly rounded product, within half a unit in its last place of the
    exact value; unless that lands near a half (or is out of the range where the unit is small, or
    zero, whose sign ``round`` keeps), its nearest integer ``k`` is the exact value's, and ``k /
    10**places`` (one correctly rounded quotient) is the float nearest the decimal ``round`` makes.
    Anything else is left to ``round``. The state holds its numbers rounded like this, 30 times a
    second for every entity (``tests/games/test_arena_rounding.py`` checks it against ``round``)."""
    scale = 10.0**places
    rint = _RINT

    def rounded(x: float) -> float:
        y = x * scale
        k = (y + rint) - rint
        if k and -0.4999 < y - k < 0.4999 and -1e9 < y < 1e9:
            return k / scale
        return round(x, places)

    return rounded


round1, round2, round3, round4 = rounding(1), rounding(2), rounding(3), rounding(4)

#: Walls grown by the player's half-size: a player collides when its centre is strictly inside one.
_BLOCKS = tuple((x0 - RADIUS, y0 - RADIUS, x1 + RADIUS, y1 + RADIUS) for x0, y0, x1, y1 in WALLS)
#: The range a player's centre stays in.
_LO, _HI_X, _HI_Y = RADIUS, WIDTH - RADIUS, HEIGHT - RADIUS


def _open_cells(
    rects: tuple[tuple[float, float, float, float], ...], border: bool
) -> frozenset[tuple[int, int]]:
    """The whole-unit cells ``(floor(x), floor(y))`` whose neighbourhood (the cell and one unit around
    it) lies clear of every rectangle in ``rects`` (and, with ``border``, inside the arena). A step
    shorter than one unit on each axis from a point of such a cell stays in that neighbourhood, so it
    meets none of them."""
    cells: set[tuple[int, int]] = set()
    for cx in range(int(WIDTH) + 1):
        for cy in range(int(HEIGHT) + 1):
            if border and not (cx - 1 >= 0.0 and cx + 2 <= WIDTH and cy - 1 >= 0.0 and cy + 2 <= HEIGHT):
                continue
            if all(cx + 2 <= x0 or cx - 1 >= x1 or cy + 2 <= y0 or cy - 1 >= y1 for x0, y0, x1, y1 in rects):
                cells.add((cx, cy))
    return frozenset(cells)


#: Cells where a player's step (under one unit an axis) meets no wall, and where a projectile's step
#: meets neither a wall nor the border: most of the arena, where :func:`move` and :func:`wall_hit`
#: need not look at the walls one by one.
MOVE_CELLS = _open_cells(_BLOCKS, border=False)
SHOT_CELLS = _open_cells(WALLS, border=True)


def move(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    """Move by (dx, dy) one axis after the other, stopping at the first wall on each axis: a player
    slides along a wall instead of sticking to it. The result is rounded to 1/1000 of a unit, which keeps
    the state small and, since walls sit on whole units, never rounds a player into a wall."""
    # Each clamp is min(max(v, lo), hi) spelled out: those builtins parse keywords on every call, and
    # this runs for every player 30 times a second. An axis without movement meets no wall, nor does a
    # short step from an open cell (found by its floor: a float, equal to the int in the set; none for
    # an infinite or NaN coordinate).
    nx = x + dx
    nx = _LO if nx < _LO else _HI_X if nx > _HI_X else nx
    if -1.0 < dx < 1.0 and -1.0 < dy < 1.0 and (x // 1.0, y // 1.0) in MOVE_CELLS:
        ny = y + dy
        ny = _LO if ny < _LO else _HI_Y if ny > _HI_Y else ny
        return round3(nx), round3(ny)
    if nx != x:
        for x0, y0, x1, y1 in _BLOCKS:
            if y0 < y < y1:
                if x <= x0 < nx:
                    nx = x0
                elif nx < x1 <= x:
                    nx = x1
    ny = y + dy
    ny = _LO if ny < _LO else _HI_Y if ny > _HI_Y else ny
    if ny != y:
        for x0, y0, x1, y1 in _BLOCKS:
            if x0 < nx < x1:
                if y <= y0 < ny:
                    ny = y0
                elif ny < y1 <= y:
                    ny = y1
    return round3(nx), round3(ny)


def wall_hit(x: float, y: float, dx: float, dy: float) -> float | None:
    """The fraction (0..1] of the segment from (x, y) along (dx, dy) at which it first meets a wall or
    the border, or ``None`` if it meets none."""
    best: float | None = None
    ex, ey = x + dx, y + dy
    if not (0.0 <= ex <= WIDTH and 0.0 <= ey <= HEIGHT):
        best = _border(x, y, dx, dy)
    lox, hix = (x, ex) if dx >= 0 else (ex, x)
    loy, hiy = (y, ey) if dy >= 0 else (ey, y)
    for x0, y0, x1, y1 in WALLS:
        if hix < x0 or lox > x1 or hiy < y0 or loy > y1:
            continue  # the segment's bounding box misses the wall: most walls, most ticks
        t = _slab(x, y, dx, dy, x0, y0, x1, y1)
        if t is not None and (best is None or t < best):
            best = t
    return best


def _border(x: float, y: float, dx: float, dy: float) -> float:
    t = 1.0
    if dx > 0:
        t = min(t, (WIDTH - x) / dx)
    elif dx < 0:
        t = min(t, -x / dx)
    if dy > 0:
        t = min(t, (HEIGHT - y) / dy)
    elif dy < 0:
        t = min(t, -y / dy)
    return max(t, 0.0)


def _slab(
    x: float, y: float, dx: float, dy: float, x0: float, y0: float, x1: float, y1: float
) -> float | None:
    """Entry fraction of the segment into the rectangle (the slab method)."""
    lo, hi = 0.0, 1.0
    for p, d, a, b in ((x, dx, x0, x1), (y, dy, y0, y1)):
        if d == 0.0:
            if not a <= p <= b:
                return None
            continue
        t0, t1 = (a - p) / d, (b - p) / d
        if t0 > t1:
            t0, t1 = t1, t0
        lo, hi = max(lo, t0), min(hi, t1)
        if lo > hi:
            return None
    return lo


def circle_hit(x: float, y: float, dx: float, dy: float, cx: float, cy: float) -> float | None:
    """The fraction (0..1) of the segment at which it enters the hit circle around (cx, cy)."""
    fx, fy = x - cx, y - cy
    if abs(fx) > HIT_RADIUS + abs(dx) or abs(fy) > HIT_RADIUS + abs(dy):
        return None  # too far to reach this step
    a = dx * dx + dy * dy
    c = fx * fx + fy * fy - HIT_RADIUS * HIT_RADIUS
    if c <= 0.0:
        return 0.0
    if a == 0.0:
        return None
    b = fx * dx + fy * dy
    disc = b * b - a * c
    if disc < 0.0:
        return None
    t = (-b - math.sqrt(disc)) / a
    return t if 0.0 <= t <= 1.0 else None


def clear_line(x: float, y: float, tx: float, ty: float) -> bool:
    """True when no wall stands between the two points."""
    return wall_hit(x, y, tx - x, ty - y) is None
