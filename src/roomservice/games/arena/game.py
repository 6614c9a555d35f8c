"""The arena game class: options, setup, inputs, ticks, the compact view and the result.

A built-in game (``games/builtin.py``). Its views go out 20 times a second and carry each player's
``ack``, so an accepted input sends no view of its own (``views_per_action = False``), and the socket
admits its input rate (``input_rate``: one input per tick) on top of the usual frame allowance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import roomservice.games.arena.rules as rules
import roomservice.games.arena.world as world
from roomservice.games.base import Context, Game, InvalidAction, Outcome, PlayerId, Standing, State

DEFAULT_TIME_LIMIT = 120
DEFAULT_KILL_TARGET = 10
TIME_LIMITS = (10, 600)
KILL_TARGETS = (1, 100)
#: A seat's status in the view.
ALIVE, DEAD, LEFT = 0, 1, 2


class Arena(Game):
    """A top-down shooter: move, aim and fire at 30 ticks a second; most kills wins."""

    id = "arena"
    name = "Arena"
    description = (
        "A real-time top-down shooter for 3 to 5 players: move, aim, fire. "
        "The first to the kill target, or the most kills when time runs out, wins."
    )
    min_players = 3
    max_players = 5
    realtime = True
    #: The leaderboard: total kills over every match, higher first (see :meth:`standings`).
    score_total = "sum"
    score_order = "desc"
    tick_rate = float(world.TICK_RATE)
    view_rate = float(world.VIEW_RATE)
    views_per_action = False
    input_rate = float(world.TICK_RATE)
    #: Everything in a view but the viewer's ``ack`` is public and the same for everyone.
    view_own_keys = ("ack",)

    def __init__(self) -> None:
        #: The last state whose public view was built, and that view: the views of one state are asked
        #: for once per member, 20 times a second, and differ only in ``ack``.
        self._public: tuple[State, dict[str, Any]] | None = None

    options_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "time_limit": {
                "type": "integer",
                "minimum": TIME_LIMITS[0],
                "maximum": TIME_LIMITS[1],
                "default": DEFAULT_TIME_LIMIT,
                "description": "Seconds the match lasts.",
            },
            "kill_target": {
                "type": "integer",
                "minimum": KILL_TARGETS[0],
                "maximum": KILL_TARGETS[1],
                "default": DEFAULT_KILL_TARGET,
                "description": "Kills that win the match at once.",
            },
        },
    }

    def validate_options(self, options: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        if not isinstance(options, Mapping):
            raise InvalidAction("invalid_options", "Options must be an object.")
        unknown = sorted(set(map(str, options)) - set(self.options_schema["properties"]))
        if unknown:
            raise InvalidAction("invalid_options", f"Unknown arena options: {', '.join(unknown)}.")
        valid: dict[str, Any] = {}
        for key, default, (lo, hi) in (
            ("time_limit", DEFAULT_TIME_LIMIT, TIME_LIMITS),
            ("kill_target", DEFAULT_KILL_TARGET, KILL_TARGETS),
        ):
            value = options.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise InvalidAction("invalid_options", f"{key!r} must be an integer from {lo} to {hi}.")
            valid[key] = value
        return valid

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        if not (self.min_players <= len(players) <= self.max_players and len(set(players)) == len(players)):
            raise InvalidAction("wrong_player_count", "The arena needs 3 to 5 distinct players.")
        valid = self.validate_options(options, ctx)
        return Outcome(rules.new_state(list(players), valid["time_limit"], valid["kill_target"], ctx.now))

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        """Queue an input for the next ticks; a stale ``seq`` returns the very same state (nothing to
        log, nothing to send)."""
        return Outcome(rules.enqueue(state, player, action))

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        if state["over"]:
            return Outcome(state)
        new, events = rules.advance(state)
        return Outcome(new, events)

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        """Everything is public; only ``ack`` is the viewer's own. Compact: one array per entity.

        ``p``: per seat ``[id, x, y, vx, vy, aim, hp, kills, deaths, status, colour]``;
        ``s``: per projectile ``[id, owner_seat, x, y, vx, vy]`` (velocities in units per second).
        The views of one state share their arrays: treat a view as read-only.
        """
        public = self._public  # read once: a replay may build views in another thread
        if public is None or public[0] is not state:
            public = (state, _public_view(state))
            self._public = public
        me = state["players"].get(viewer) if viewer is not None else None
        return {**public[1], "ack": None if me is None else me["ack"]}

    def result(self, state: State) -> Mapping[str, Any] | None:
        if not state["over"]:
            return None
        places = rules.placement(state)
        players = state["players"]
        return {
            "winners": [pid for pid in state["order"] if places[pid] == 1 and not players[pid]["left"]],
            "placement": places,
            "kills": {pid: players[pid]["kills"] for pid in state["order"]},
            "deaths": {pid: players[pid]["deaths"] for pid in state["order"]},
            "reason": state["reason"],
        }

    def standings(self, result: Mapping[str, Any], players: Sequence[PlayerId]) -> dict[PlayerId, Standing]:
        """Each player's placement as the match ended, and their kills as the score."""
        placement = result.get("placement") or {}
        kills = result.get("kills") or {}
        winners = set(result.get("winners") or ())
        return {
            p: Standing(placement=int(placement[p]), win=p in winners, score=float(kills.get(p, 0)))
            for p in players
            if p in placement
        }

    def on_leave(self, state: State, player: PlayerId, ctx: Context, reason: str | None = None) -> Outcome:
        """A dropped connection (no ``reason``) keeps the player in play for the reconnect grace; a seat
        lost for good (left, kicked, or a grace that ran out) takes them out of the match."""
        if reason is None:
            return Outcome(state)
        if state["over"] or player not in state["players"] or state["players"][player]["left"]:
            return Outcome(state)
        new, events = rules.remove(state, player)
        return Outcome(new, events)


def _public_view(state: State) -> dict[str, Any]:
    """The view without ``ack``. The state holds every number already rounded for the wire: nothing
    to compute here."""
    players = state["players"]
    return {
        "t": state["tick"],
        "end": round(state["ends_at"] * 1000),
        "kt": state["kill_target"],
        "over": state["over"],
        "p": [
            [
                pid,
                p["x"],
                p["y"],
                p["vx"],
                p["vy"],
                p["aim"],
                p["hp"],
                p["kills"],
                p["deaths"],
                LEFT if p["left"] else ALIVE if p["alive"] else DEAD,
                world.COLOURS[p["seat"]],
            ]
            for pid in state["order"]
            for p in (players[pid],)
        ],
        "s": [shot[:6] for shot in state["shots"]],
    }
