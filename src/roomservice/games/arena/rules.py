"""The arena's rules on plain JSON data: the state, inputs, one tick, shots and lag compensation.

State (every number a JSON number, every entity a small dict or list):

- ``tick``: ticks simulated so far; ``limit``: the tick at which the time limit ends the match.
- ``order``: player ids in seat order; ``players[id]``: ``x``, ``y``, ``vx``, ``vy`` (units/s),
  ``aim``, ``hp``, ``kills``, ``deaths``, ``seat``, ``alive``, ``left``, ``respawn`` (tick or None),
  ``ready`` (first tick it may fire again), ``ack`` (seq of the last applied input), ``seen`` (newest
  seq accepted), ``queue`` (inputs waiting, oldest first, each ``[seq, tick, mx, my, aim, fire]``), and
  the controls in force: ``mx``, ``my``, ``fire``, ``rewind`` (ticks the player's shots are rewound).
- ``shots``: projectiles ``[id, owner_seat, x, y, vx, vy, fired]`` (velocity in units per second; ``fired``
  is the tick the shooter saw when it fired, where its lifetime starts).
- ``history``: the last :data:`~.world.HISTORY_TICKS` ticks as ``[tick, [[x, y] | None per seat]]``
  (``None``: dead or gone), newest last.

Rules never mutate a state they were given: :func:`advance` builds the next one, so a snapshot the
engine holds stays as it was.
"""

from __future__ import annotations

import math
from typing import Any

import roomservice.games.arena.world as world
from roomservice.games.base import Event, InvalidAction

S = dict[str, Any]
#: The keys of an input payload, all required.
INPUT_KEYS = frozenset({"seq", "tick", "move", "aim", "fire"})
_SEND = 'Send {"seq": n, "tick": t, "move": [x, y], "aim": radians, "fire": bool}.'
#: Ints beyond this are refused: they must survive a JSON round trip as exact numbers.
MAX_INT = 2**53
TAU = 2 * math.pi
#: Bound once for :func:`parse_input` and :func:`_step`, which run for every input (a hundred a second
#: in every room) and for every projectile on every tick.
_isfinite, _hypot, _round2, _round3, _round4 = (
    math.isfinite,
    math.hypot,
    world.round2,
    world.round3,
    world.round4,
)
_RATE, _HIT_RADIUS, _wall_hit, _circle_hit, _SHOT_CELLS = (
    world.TICK_RATE,
    world.HIT_RADIUS,
    world.wall_hit,
    world.circle_hit,
    world.SHOT_CELLS,
)


def new_state(players: list[str], time_limit: float, kill_target: int, now: float) -> S:
    order = list(players)
    state: S = {
        "tick": 0,
        "limit": round(time_limit * world.TICK_RATE),
        "ends_at": now + time_limit,
        "kill_target": kill_target,
        "order": order,
        "players": {},
        "shots": [],
        "next_shot": 1,
        "history": [],
        "over": False,
        "reason": None,
    }
    for seat, pid in enumerate(order):
        x, y = world.SPAWNS[seat]
        state["players"][pid] = {
            "seat": seat,
            "x": x,
            "y": y,
            "vx": 0.0,
            "vy": 0.0,
            "aim": 0.0,
            "hp": world.MAX_HEALTH,
            "kills": 0,
            "deaths": 0,
            "alive": True,
            "left": False,
            "respawn": None,
            "ready": 0,
            "ack": None,
            "seen": None,
            "queue": [],
            "mx": 0.0,
            "my": 0.0,
            "fire": False,
            "rewind": 0,
        }
    state["history"] = [[0, _positions(state)]]
    return state


# -- inputs -------------------------------------------------------------------------------------------


def _bad(message: str) -> InvalidAction:
    return InvalidAction("invalid_input", message)


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_INT:
        raise _bad(f"{name!r} must be an integer from 0 to 2^53.")
    return value


def _number(value: Any, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _bad(f"{name!r} must be a number.")
    try:
        number = float(value)
    except OverflowError:
        raise _bad(f"{name!r} is out of range.") from None
    if not math.isfinite(number):
        raise _bad(f"{name!r} must be finite.")
    return number


def parse_input(action: Any) -> list[Any]:
    """Check an input payload and return it as ``[seq, tick, mx, my, aim, fire]`` with ``move`` clamped
    to length 1 and ``aim`` in [0, 2π)."""
    # Each check first takes the shape a decoded JSON input has (exact int, finite float), and leaves
    # anything else to the full check: the same answer, at less cost for the hundred inputs a second
    # of every room.
    # Five keys, each of them one of INPUT_KEYS: the keys are INPUT_KEYS (at a fifth of the cost of
    # comparing the key view with the set).
    if not isinstance(action, dict) or len(action) != len(INPUT_KEYS):
        raise _bad(_SEND)
    try:
        seq, tick, move, aim, fire = (
            action["seq"],
            action["tick"],
            action["move"],
            action["aim"],
            action["fire"],
        )
    except KeyError:
        raise _bad(_SEND) from None
    if type(seq) is not int or not 0 <= seq < MAX_INT:
        seq = _int(seq, "seq")
    if type(tick) is not int or not 0 <= tick < MAX_INT:
        tick = _int(tick, "tick")
    if not isinstance(move, list) or len(move) != 2:
        raise _bad("'move' must be [x, y].")
    mx, my = move
    if type(mx) is not float or not _isfinite(mx):
        mx = _number(mx, "move")
    if type(my) is not float or not _isfinite(my):
        my = _number(my, "move")
    if type(aim) is not float or not _isfinite(aim):
        aim = _number(aim, "aim")
    aim %= TAU
    if fire is not True and fire is not False:
        raise _bad("'fire' must be true or false.")
    length = _hypot(mx, my)
    if length > 1.0:
        mx, my = mx / length, my / length
    return [seq, tick, _round4(mx), _round4(my), _round3(aim), fire]


def enqueue(state: S, player: str, action: Any) -> S:
    """The state with the input queued, or ``state`` itself when its ``seq`` is stale."""
    if state["over"]:
        raise InvalidAction("game_over", "The match is over.")
    me = state["players"].get(player)
    if me is None or me["left"]:
        raise InvalidAction("not_a_player", "You are not playing this match.")
    entry = parse_input(action)
    if me["seen"] is not None and entry[0] <= me["seen"]:
        return state
    if len(me["queue"]) >= world.QUEUE_LIMIT:
        raise InvalidAction(
            "input_queue_full", f"At most {world.QUEUE_LIMIT} inputs wait per player; send one per tick."
        )
    # Copies, never the given dicts changed: each made with ``copy`` and its keys set after, at two
    # thirds of the cost of merging literals (``{**me, ...}``), for every input of every room.
    mine = me.copy()
    mine["queue"] = [*me["queue"], entry]
    mine["seen"] = entry[0]
    players = state["players"].copy()
    players[player] = mine
    new = state.copy()
    new["players"] = players
    return new


# -- one tick ------------------------------------------------------------------------------------------


def advance(state: S) -> tuple[S, list[Event]]:
    """Simulate one tick: respawns, one queued input per player, movement, the position history,
    projectiles in flight, new shots (lag-compensated), then the end of the match."""
    t = state["tick"] + 1
    players = {pid: {**p} for pid, p in state["players"].items()}
    s: S = {**state, "tick": t, "players": players}
    events: list[Event] = []
    order: list[str] = s["order"]
    # Runs 30 times a second in every room: the world's numbers are bound once, each entity's fields
    # read once, in the same arithmetic as ever (a replay of an older log must come out the same).
    speed, rate, max_rewind, move = world.SPEED, world.TICK_RATE, world.MAX_REWIND_TICKS, world.move
    # Where everyone is at the end of this tick (what _positions gives), built as each one moves: no
    # player's turn in this loop changes another's.
    present: list[list[float] | None] = []
    for pid in order:
        p = players[pid]
        if p["left"]:
            present.append(None)
            continue
        if not p["alive"] and p["respawn"] is not None and t >= p["respawn"]:
            _respawn(s, pid, events)
        queue = p["queue"]
        if queue:
            seq, tick, mx, my, aim, fire = queue[0]
            p["queue"] = queue[1:]
            p["ack"], p["mx"], p["my"], p["aim"], p["fire"] = seq, mx, my, aim, fire
            # min(max(t - tick, 0), max_rewind), without two calls of builtins that parse keywords
            rewind = t - tick
            p["rewind"] = 0 if rewind < 0 else max_rewind if rewind > max_rewind else rewind
        else:
            mx, my = p["mx"], p["my"]
        if not p["alive"]:
            p["vx"] = p["vy"] = 0.0
            present.append(None)
            continue
        if mx or my:
            x0, y0 = p["x"], p["y"]
            x, y = move(x0, y0, mx * speed / rate, my * speed / rate)
            p["vx"], p["vy"] = _round2((x - x0) * rate), _round2((y - y0) * rate)
            p["x"], p["y"] = x, y
            present.append([x, y])
        else:
            p["vx"] = p["vy"] = 0.0
            present.append([p["x"], p["y"]])
    history: list[list[Any]] = state["history"]
    s["history"] = [*history[max(0, len(history) + 1 - world.HISTORY_TICKS) :], [t, present]]
    shots: list[list[Any]] = []
    lifetime = world.SHOT_TICKS
    for shot in state["shots"]:
        if t - shot[6] < lifetime:  # else its lifetime is over
            flying = _step(s, shot, present, events)
            if flying is not None:
                shots.append(flying)
    s["shots"] = shots
    for pid in order:
        p = players[pid]
        if p["alive"] and not p["left"] and p["fire"] and t >= p["ready"]:
            shot = _fire(s, pid, t, events)
            if shot is not None:
                shots.append(shot)
    _check_end(s, events)
    return s, events


def _positions(state: S) -> list[list[float] | None]:
    players = state["players"]
    out: list[list[float] | None] = []
    for pid in state["order"]:
        p = players[pid]
        out.append([p["x"], p["y"]] if p["alive"] and not p["left"] else None)
    return out


def _at(state: S, tick: int) -> list[list[float] | None]:
    """Where everyone was at the end of ``tick`` (the oldest kept tick if it is older)."""
    history: list[list[Any]] = state["history"]
    for entry in reversed(history):
        if entry[0] <= tick:
            positions: list[list[float] | None] = entry[1]
            return positions
    oldest: list[list[float] | None] = history[0][1]
    return oldest


def _fire(s: S, pid: str, t: int, events: list[Event]) -> list[Any] | None:
    """A new projectile from the shooter's muzzle along its aim. It was fired when the shooter saw tick
    ``t - rewind``, so it first flies ``rewind`` steps against the positions of those past ticks, then one
    step against the present; it carries on live from there."""
    p = s["players"][pid]
    p["ready"] = t + world.COOLDOWN_TICKS
    # Rounded as the view sends them (1/10 unit/s of 24, 1/100 unit for a position): the view copies them.
    aim, round1 = p["aim"], world.round1
    vx, vy = round1(math.cos(aim) * world.SHOT_SPEED), round1(math.sin(aim) * world.SHOT_SPEED)
    shot_id = s["next_shot"]
    s["next_shot"] = shot_id + 1
    rewind = p["rewind"]
    # The lifetime counts from the tick the shooter saw, so a rewound shot reaches no farther.
    shot: list[Any] | None = [shot_id, p["seat"], p["x"], p["y"], vx, vy, t - rewind]
    for back in range(rewind, -1, -1):
        assert shot is not None
        shot = _step(s, shot, _at(s, t - back), events)
        if shot is None:
            return None
    return shot


def _step(s: S, shot: list[Any], targets: list[list[float] | None], events: list[Event]) -> list[Any] | None:
    """Move a projectile one tick; returns it moved, or ``None`` when it hit a wall or a player."""
    _, owner, x, y, speed_x, speed_y, fired = shot
    vx, vy = speed_x / _RATE, speed_y / _RATE
    # A step from an open cell meets no wall (most steps): the walls are looked at only near one.
    if -1.0 < vx < 1.0 and -1.0 < vy < 1.0 and (x // 1.0, y // 1.0) in _SHOT_CELLS:
        best = None
    else:
        best = _wall_hit(x, y, vx, vy)
    victim: int | None = None
    reach_x, reach_y = _HIT_RADIUS + abs(vx), _HIT_RADIUS + abs(vy)
    seat = -1
    for pos in targets:
        seat += 1
        if pos is None or seat == owner:
            continue  # gone, or the shooter
        px, py = pos
        if abs(px - x) > reach_x or abs(py - y) > reach_y:
            continue  # out of this step's reach: most targets, most steps
        hit = _circle_hit(x, y, vx, vy, px, py)
        if hit is not None and (best is None or hit < best):
            best, victim = hit, seat
    if victim is not None:
        _hurt(s, owner, victim, events)
        return None
    if best is not None:
        return None
    return [shot[0], owner, _round2(x + vx), _round2(y + vy), speed_x, speed_y, fired]


def _hurt(s: S, owner: int, victim: int, events: list[Event]) -> None:
    order: list[str] = s["order"]
    shooter_id, victim_id = order[owner], order[victim]
    target = s["players"][victim_id]
    if not target["alive"] or target["left"]:
        return  # already down this tick, or gone
    target["hp"] = max(target["hp"] - world.DAMAGE, 0)
    events.append(Event("hit", {"by": shooter_id, "player": victim_id, "hp": target["hp"]}))
    if target["hp"] > 0:
        return
    target.update(alive=False, respawn=s["tick"] + world.RESPAWN_TICKS, vx=0.0, vy=0.0)
    target["deaths"] += 1
    shooter = s["players"][shooter_id]
    if not shooter["left"]:
        shooter["kills"] += 1
    events.append(Event("killed", {"by": shooter_id, "player": victim_id}))


def spawn_point(s: S, pid: str) -> tuple[float, float]:
    """The free spawn point farthest from the nearest living enemy (the first such point on a tie;
    any point when none is free)."""
    enemies = [
        (p["x"], p["y"]) for other, p in s["players"].items() if other != pid and p["alive"] and not p["left"]
    ]

    def nearest(point: tuple[float, float]) -> float:
        return min((math.dist(point, e) for e in enemies), default=math.inf)

    free = [pt for pt in world.SPAWNS if nearest(pt) >= world.SPAWN_CLEARANCE]
    return max(free or world.SPAWNS, key=nearest)


def _respawn(s: S, pid: str, events: list[Event]) -> None:
    x, y = spawn_point(s, pid)
    s["players"][pid].update(alive=True, respawn=None, hp=world.MAX_HEALTH, x=x, y=y, vx=0.0, vy=0.0)
    events.append(Event("respawned", {"player": pid, "x": x, "y": y}))


def _check_end(s: S, events: list[Event]) -> None:
    if s["over"]:
        return
    # Only a kill reaches the target, and a kill is never without its event.
    if events and any(p["kills"] >= s["kill_target"] for p in s["players"].values()):
        s["reason"] = "kill_target"
    elif s["tick"] >= s["limit"]:
        s["reason"] = "time_limit"
    else:
        return
    finish(s, events)


def finish(s: S, events: list[Event]) -> None:
    s["over"] = True
    s["shots"] = []
    events.append(Event("game_over", {"reason": s["reason"], "placement": placement(s)}))


# -- leaving and the result ----------------------------------------------------------------------------


def remove(state: S, pid: str) -> tuple[S, list[Event]]:
    """Take a player out of play: no position, no shots, no input; their score stays in the result.
    With fewer than two players left in play the match ends."""
    players = dict(state["players"])
    players[pid] = {**players[pid], "left": True, "alive": False, "respawn": None, "queue": [], "fire": False}
    seat = players[pid]["seat"]
    s: S = {**state, "players": players, "shots": [sh for sh in state["shots"] if sh[1] != seat]}
    events = [Event("player_left", {"player": pid})]
    if sum(not p["left"] for p in players.values()) < 2:
        s["reason"] = "players"
        finish(s, events)
    return s, events


def placement(state: S) -> dict[str, int]:
    """1 for the best: most kills, then fewest deaths; equal scores share a place. Players who left
    are placed after everyone who stayed."""

    def key(pid: str) -> tuple[bool, int, int]:
        p = state["players"][pid]
        return (p["left"], -p["kills"], p["deaths"])

    ranked = sorted(state["order"], key=key)
    places: dict[str, int] = {}
    for i, pid in enumerate(ranked):
        if i and key(pid) == key(ranked[i - 1]):
            places[pid] = places[ranked[i - 1]]
        else:
            places[pid] = i + 1
    return places
