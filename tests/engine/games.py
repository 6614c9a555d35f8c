"""Games that exist to test the engine: one with a bug on demand that also notes who is away, a
real-time counter, and a real-time game with a bot strategy. Loaded by the server through
``ROOMSERVICE_GAMES`` like any third-party game."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from roomservice.bots import strategies
from roomservice.games.base import Context, Event, Game, InvalidAction, Outcome, PlayerId, State


class Flaky(Game):
    id = "flaky"
    name = "Flaky"
    min_players = 1
    max_players = 4

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"count": 0, "away": [], "back": 0})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        if action == "boom":
            raise ZeroDivisionError("a bug in the game")
        if action != "add":
            raise InvalidAction("bad_move", "Send 'add' (or 'boom').")
        return Outcome({**state, "count": state["count"] + 1}, [Event("added", {"by": player})])

    def on_leave(self, state: State, player: PlayerId, ctx: Context) -> Outcome:
        return Outcome({**state, "away": sorted({*state["away"], player})})

    def on_rejoin(self, state: State, player: PlayerId, ctx: Context) -> Outcome:
        if player not in state["away"]:
            return Outcome(state)
        away = [p for p in state["away"] if p != player]
        return Outcome({**state, "away": away, "back": state["back"] + 1})

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return dict(state)

    def result(self, state: State) -> Mapping[str, Any] | None:
        return {"count": state["count"]} if state["count"] >= 3 else None


class Pulse(Game):
    """Counts ticks at 30 Hz and sends its view at 10 Hz; over after 45 ticks."""

    id = "pulse"
    name = "Pulse"
    min_players = 1
    max_players = 8
    realtime = True
    tick_rate = 30.0
    view_rate = 10.0

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"ticks": 0, "time": 0.0})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        raise InvalidAction("no_moves", "Pulse takes no moves.")

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        return Outcome({"ticks": state["ticks"] + 1, "time": state["time"] + dt})

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return dict(state)

    def result(self, state: State) -> Mapping[str, Any] | None:
        return {"ticks": state["ticks"]} if state["ticks"] >= 45 else None


class Beacon(Game):
    """A real-time game for bot seats: 30 ticks a second, a view 10 times a second, over after 30
    ticks. Each player may answer each view once with ``{"tick": t}`` (the tick their view showed);
    the result counts the answers."""

    id = "beacon"
    name = "Beacon"
    min_players = 1
    max_players = 4
    realtime = True
    tick_rate = 30.0
    view_rate = 10.0

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"ticks": 0, "last": {p: -1 for p in players}, "answers": {p: 0 for p in players}})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        tick = action.get("tick") if isinstance(action, dict) else None
        if not isinstance(tick, int) or not state["last"][player] < tick <= state["ticks"]:
            raise InvalidAction("stale", "Answer each view once, with its tick.")
        last = {**state["last"], player: tick}
        answers = {**state["answers"], player: state["answers"][player] + 1}
        return Outcome({**state, "last": last, "answers": answers})

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        return Outcome({**state, "ticks": state["ticks"] + 1})

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        # A player sees only their own count: a bot that read another's would fail the test.
        mine = state["answers"].get(viewer) if viewer is not None else None
        return {"ticks": state["ticks"], "mine": mine}

    def result(self, state: State) -> Mapping[str, Any] | None:
        return {"answers": state["answers"]} if state["ticks"] >= 30 else None


def answer(view: dict[str, Any], me: str, rng: random.Random) -> dict[str, Any] | None:
    """Beacon's bot: answer every view it is shown."""
    assert set(view) == {"ticks", "mine"} and isinstance(view["mine"], int)
    return {"tick": view["ticks"]}


strategies.register(Beacon.id, answer)
