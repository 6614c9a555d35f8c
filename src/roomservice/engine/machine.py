"""A running game with no I/O: it applies steps and ticks, counts them and replays a log.

The same code serves the live room and the replay after a restart, so a game restored from its latest
snapshot and the log after it is exactly the game that was running. Every step gets its own RNG, seeded
from the game's seed and the step's position, and the time it happened at; nothing else reaches the rules.
"""

from __future__ import annotations

import dataclasses
import inspect
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from roomservice.games.base import (
    LEAVE_REASONS,
    Context,
    Event,
    Game,
    InvalidAction,
    Outcome,
    PlayerId,
    State,
)

ACTION = "action"
TIMEOUT = "timeout"
#: A player went away: the payload is ``None`` when only their socket dropped, else why they lost
#: their seat (one of ``LEAVE_REASONS``). Logs written before reasons existed hold only the former.
LEAVE = "leave"
REJOIN = "rejoin"
#: The host ended the game before its end: the result is ``{"winners": [], "abandoned": true}``.
END = "end"
KINDS = (ACTION, TIMEOUT, LEAVE, REJOIN, END)

ABANDONED: Mapping[str, Any] = {"winners": [], "abandoned": True}


_takes_reason_of: dict[type[Game], bool] = {}


def _takes_reason(game_type: type[Game]) -> bool:
    """Whether a game's ``on_leave`` accepts a ``reason`` (games written before it existed do not)."""
    known = _takes_reason_of.get(game_type)
    if known is None:
        params = inspect.signature(game_type.on_leave).parameters.values()
        known = any(p.name == "reason" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        _takes_reason_of[game_type] = known
    return known


class _LazyRandom(random.Random):
    """Seeded on first use: most steps and ticks draw nothing, and seeding costs more than a tick.

    A machine makes one and arms it again for each step (:meth:`arm`): a ``random.Random`` is a large
    object to make for every input of a real-time game, and a step's RNG serves only that step."""

    def __init__(self, seed: int, step: int, ticks: int) -> None:
        # Deliberately not Random.__init__, which would seed now; the seed's text is made on first use.
        self.arm(seed, step, ticks)

    def arm(self, seed: int, step: int, ticks: int) -> None:
        """Start the stream of another step: what a new ``_LazyRandom(seed, step, ticks)`` would draw."""
        self.gauss_next = None
        self._pending: tuple[int, int, int] | None = (seed, step, ticks)

    def _ready(self) -> None:
        if self._pending is not None:
            (seed, step, ticks), self._pending = self._pending, None
            super().seed(f"{seed}/{step}/{ticks}")

    def random(self) -> float:
        self._ready()
        return super().random()

    def getrandbits(self, k: int, /) -> int:
        self._ready()
        return super().getrandbits(k)

    def getstate(self) -> tuple[Any, ...]:
        self._ready()
        return super().getstate()


#: Sets a ``Context``'s ``now`` in place (its slot), past the frozen dataclass's ``__setattr__``.
_set_now = Context.__dict__["now"].__set__


# Step and Checkpoint are made for every input of a real-time game: plain slotted classes (a frozen
# dataclass's __init__ costs several times as much), never changed once made.


@dataclasses.dataclass(slots=True)
class Step:
    """One entry of the action log. ``ticks`` is how many ticks the game had run before it."""

    kind: str
    player: PlayerId | None
    payload: Any
    at: float
    ticks: int = 0


@dataclasses.dataclass(slots=True)
class Checkpoint:
    state: State
    step: int
    ticks: int
    now: float
    final: Mapping[str, Any] | None = None


class GameMachine:
    def __init__(
        self,
        game: Game,
        *,
        seed: int,
        players: Sequence[PlayerId],
        options: Mapping[str, Any],
        dev: bool,
        state: State,
        started_at: float,
        step: int = 0,
        ticks: int = 0,
        now: float | None = None,
        final: Mapping[str, Any] | None = None,
    ) -> None:
        self.game = game
        self.seed = seed
        self.players = tuple(players)
        self.options = dict(options)
        self.dev = dev
        self.state = state
        self.started_at = started_at
        #: Steps (logged changes) and ticks applied so far.
        self.step = step
        self.ticks = ticks
        self._now = started_at if now is None else now
        #: A result that overrides the game's own: set when the host ends the game (restored from the
        #: saved result after a restart, since the snapshot holds only the game's state).
        self.final: Mapping[str, Any] | None = None if final is None else dict(final)
        #: The context every step and tick is lent, its ``now`` and its RNG made ready for each (see
        #: :meth:`_context`).
        self._rng = _LazyRandom(seed, step, ticks)
        self._ctx = Context(self._now, self._rng, dev)
        rate = game.tick_rate if game.realtime else 0.0
        #: Seconds between two ticks (0: the game does not tick).
        self.tick_interval = 1.0 / rate if rate > 0 else 0.0

    @classmethod
    def setup(
        cls,
        game: Game,
        *,
        seed: int,
        players: Sequence[PlayerId],
        options: Mapping[str, Any],
        dev: bool,
        now: float,
    ) -> tuple[GameMachine, list[Event]]:
        """Validate the options and deal the game; raises :class:`InvalidAction` for bad options."""
        ctx = Context(now, random.Random(f"{seed}/setup"), dev)
        valid = game.validate_options(options, ctx)
        outcome = game.setup(list(players), valid, ctx)
        machine = cls(
            game, seed=seed, players=players, options=valid, dev=dev, state=outcome.state, started_at=now
        )
        return machine, list(outcome.events)

    @property
    def now(self) -> float:
        """The game's time as of its last step or tick."""
        return self._now

    @property
    def version(self) -> int:
        """Counts every change of state: steps and ticks."""
        return self.step + self.ticks

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.state, self.step, self.ticks, self._now, self.final)

    def restore(self, checkpoint: Checkpoint) -> None:
        self.state, self.step, self.ticks, self._now, self.final = (
            checkpoint.state,
            checkpoint.step,
            checkpoint.ticks,
            checkpoint.now,
            checkpoint.final,
        )

    def _context(self, at: float) -> Context:
        """The context of the next step or tick: the machine's one ``Context``, its ``now`` set to the
        step's time and its RNG to the step's stream. A rule is lent it for the call only, and a new
        one (with its ``random.Random``) for each of a hundred inputs a second would cost more than
        many a step."""
        if at > self._now:  # monotonic within a game, whatever the wall clock does
            self._now = at
        _set_now(self._ctx, self._now)
        # What ``self._rng.arm(...)`` does, without the call: this runs for every input and tick.
        rng = self._rng
        rng.gauss_next = None
        rng._pending = (self.seed, self.step, self.ticks)
        return self._ctx

    def apply(self, step: Step) -> list[Event] | None:
        """Apply one step. Returns its events, or ``None`` when it changed nothing (a timeout that was
        not due yet): such a step is not logged. Raises :class:`InvalidAction` (or whatever a buggy
        game raises) with the state untouched."""
        if step.kind == ACTION:
            return self.act(step.player, step.payload, step.at)
        ctx = self._context(step.at)
        before = self.state
        if step.kind == TIMEOUT:
            outcome = self.game.on_timeout(before, ctx)
        elif step.kind == LEAVE and step.player is not None:
            outcome = self._leave(before, step.player, step.payload, ctx)
        elif step.kind == REJOIN and step.player is not None:
            outcome = self.game.on_rejoin(before, step.player, ctx)
        elif step.kind == END:
            if self.final is not None:
                return None
            self.final = dict(ABANDONED)
            self.step += 1
            return []
        else:
            raise ValueError(f"unknown step {step.kind!r}")
        if outcome.state is before and not outcome.events:
            return None
        self.state = outcome.state
        self.step += 1
        return list(outcome.events)

    def act(self, player: PlayerId | None, payload: Any, at: float) -> list[Event] | None:
        """Apply one player's action at ``at``: what :meth:`apply` does with ``Step(ACTION, player,
        payload, at)``, without the step (a real-time game takes a hundred actions a second a room)."""
        ctx = self._context(at)
        if player is None or player not in self.players:
            raise InvalidAction("not_a_player", "Only the game's players can act.")
        before = self.state
        outcome = self.game.apply(before, player, payload, ctx)
        events = outcome.events
        if outcome.state is before and not events:
            return None
        self.state = outcome.state
        self.step += 1
        return list(events)

    def _leave(self, state: State, player: PlayerId, reason: Any, ctx: Context) -> Outcome:
        if reason is not None and reason not in LEAVE_REASONS:
            raise ValueError(f"unknown leave reason {reason!r}")
        if reason is None or not _takes_reason(type(self.game)):
            return self.game.on_leave(state, player, ctx)
        return self.game.on_leave(state, player, ctx, reason=reason)

    def tick(self) -> list[Event]:
        """One fixed-length tick. The game's time for it is derived from the tick count, so replays
        and catch-up ticks after a stall see exactly the same clock."""
        dt = self.tick_interval
        outcome: Outcome = self.game.tick(
            self.state, dt, self._context(self.started_at + (self.ticks + 1) * dt)
        )
        self.state = outcome.state
        self.ticks += 1
        return list(outcome.events)

    def replay(self, steps: Iterable[Step]) -> None:
        """Re-apply logged steps (and the ticks that ran before each) after a snapshot."""
        for step in steps:
            while self.ticks < step.ticks:
                self.tick()
            self.apply(step)

    def view(self, viewer: PlayerId | None) -> Any:
        return self.game.view(self.state, viewer)

    def result(self) -> Mapping[str, Any] | None:
        if self.final is not None:
            return self.final
        return self.game.result(self.state)

    def deadline(self) -> float | None:
        return self.game.turn_deadline(self.state)
