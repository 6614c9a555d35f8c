"""An arena strategy from the bot's own view: aim at the nearest enemy (leading its motion), fire when
the line is clear, keep a middle distance while strafing, and sidestep projectiles coming its way.

One input per view; the view's tick serves as the input's ``seq`` (it only grows) and as its ``tick``.
"""

from __future__ import annotations

import math
import random
from typing import Any

import roomservice.games.arena.world as world

#: The distance the bot likes to fight at, and how far a shot usefully reaches.
PREFERRED = 8.0
REACH = world.SHOT_SPEED * world.SHOT_TICKS / world.TICK_RATE * 0.9
#: A projectile closer than this and closing in is dodged.
DANGER = 5.0
ALIVE = 0


def choose(view: dict[str, Any], me: str, rng: random.Random) -> dict[str, Any] | None:
    if view["over"]:
        return None
    players = {p[0]: p for p in view["p"]}
    mine = players.get(me)
    if mine is None or mine[9] != ALIVE:
        return None
    x, y = mine[1], mine[2]
    seat = next(i for i, p in enumerate(view["p"]) if p[0] == me)
    enemies = [p for p in view["p"] if p[0] != me and p[9] == ALIVE]
    if not enemies:
        return {"seq": view["t"], "tick": view["t"], "move": [0, 0], "aim": mine[5], "fire": False}
    target = min(enemies, key=lambda p: math.dist((x, y), (p[1], p[2])))
    tx, ty = target[1], target[2]
    distance = math.dist((x, y), (tx, ty))
    # Lead the target: where it will be when a shot gets there.
    flight = distance / world.SHOT_SPEED
    lx, ly = tx + target[3] * flight, ty + target[4] * flight
    aim = math.atan2(ly - y, lx - x)
    fire = distance <= REACH and world.clear_line(x, y, tx, ty)
    mx, my = _movement(x, y, tx, ty, distance, seat, rng)
    dodge = _dodge(view, x, y, seat)
    if dodge is not None:
        mx, my = dodge
    return {"seq": view["t"], "tick": view["t"], "move": [mx, my], "aim": round(aim, 4), "fire": fire}


def _movement(
    x: float, y: float, tx: float, ty: float, distance: float, seat: int, rng: random.Random
) -> tuple[float, float]:
    """Close in or back off towards the preferred distance, strafing around the target."""
    if distance == 0:
        return rng.uniform(-1, 1), rng.uniform(-1, 1)
    ux, uy = (tx - x) / distance, (ty - y) / distance
    towards = max(min((distance - PREFERRED) / 4, 1.0), -1.0)
    side = 1.0 if seat % 2 else -1.0
    if rng.random() < 0.05:
        side = -side
    mx, my = ux * towards - uy * side * 0.7, uy * towards + ux * side * 0.7
    # Steer away from the border so strafing does not pin the bot into a corner.
    mx += max(3 - x, 0) / 3 - max(x - (world.WIDTH - 3), 0) / 3
    my += max(3 - y, 0) / 3 - max(y - (world.HEIGHT - 3), 0) / 3
    return round(mx, 3), round(my, 3)


def _dodge(view: dict[str, Any], x: float, y: float, seat: int) -> tuple[float, float] | None:
    """Step sideways off the path of the nearest enemy projectile heading at the bot."""
    worst: tuple[float, float, float] | None = None
    for _, owner, sx, sy, vx, vy in view["s"]:
        if owner == seat:
            continue
        rx, ry = x - sx, y - sy
        distance = math.hypot(rx, ry)
        speed = math.hypot(vx, vy)
        if distance > DANGER or speed == 0 or (rx * vx + ry * vy) / (distance * speed or 1) < 0.9:
            continue
        if worst is None or distance < worst[0]:
            worst = (distance, vx / speed, vy / speed)
    if worst is None:
        return None
    _, dx, dy = worst
    # Perpendicular to the projectile, whichever way leads towards the middle (away from the border).
    px, py = -dy, dx
    if px * (x - world.WIDTH / 2) + py * (y - world.HEIGHT / 2) > 0:
        px, py = -px, -py
    return round(px, 3), round(py, 3)
