"""The game plugin API: a game is metadata plus pure rules.

A game never does I/O, never reads the wall clock and never touches the global ``random``: the engine
passes a :class:`Context` holding the time and a seeded RNG, so a game replays exactly from its seed and
its action log. State is plain JSON-compatible data (dicts, lists, str, int, float, bool, None) so the
engine can snapshot it without knowing the game.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

#: A game's whole state: JSON-compatible data owned by the game.
State = Any
#: A player's id inside a game: the session id of the seat.
PlayerId = str

#: Why a player lost their seat for good (the ``reason`` of :meth:`Game.on_leave`): they left, the host
#: kicked them, or their socket stayed away past the room's reconnect grace.
LEFT = "left"
KICKED = "kicked"
DISCONNECTED = "disconnected"
LEAVE_REASONS = (LEFT, KICKED, DISCONNECTED)


class InvalidAction(Exception):
    """Raised by ``apply`` to refuse an action; the state is left untouched and the sender gets
    an ``error`` frame with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    """What the engine lends a rule: the current time and an RNG seeded from the game's seed and the
    action's index.

    ``now`` is the server's wall clock in UNIX epoch seconds (UTC) as of the step, never going back
    within a game. A game stores times from it in its state; views and events that show one to a
    client convert it with :func:`epoch_ms`."""

    now: float
    rng: random.Random
    #: True when the server runs with ``--dev``: test-only options are allowed.
    dev: bool = False


def epoch_ms(seconds: float | None) -> int | None:
    """A game time (``Context.now`` seconds) as the wire shows every ``deadline``: integer epoch
    milliseconds, UTC; ``None`` stays ``None``."""
    return None if seconds is None else round(seconds * 1000)


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, sent as a ``game_event`` frame. ``to`` limits who receives it
    (player ids); ``None`` means everyone in the room, spectators included."""

    type: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    to: tuple[PlayerId, ...] | None = None


@dataclasses.dataclass(slots=True)
class Outcome:
    """The result of a rule: the new state and the events it produced."""

    state: State
    events: list[Event] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Standing:
    """One player's line of a finished game, as the leaderboard records it: where they placed (1 is
    first), whether they won, and the game's own score for that game."""

    placement: int
    win: bool
    score: float


#: How a player's scores add up over the games they played (:attr:`Game.score_total`).
SCORE_TOTALS = ("sum", "min", "max")
#: Which way the leaderboard ranks (:attr:`Game.score_order`): higher first, or lower first.
SCORE_ORDERS = ("desc", "asc")


@dataclasses.dataclass(frozen=True, slots=True)
class GameInfo:
    """What the catalogue shows about a game."""

    id: str
    name: str
    description: str
    min_players: int
    max_players: int
    realtime: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Game:
    """Base class of every game. Subclasses set the class attributes and implement the rules.

    ``options_schema`` is a JSON Schema of the options a host may pass at start; ``validate_options``
    turns raw options into the dict ``setup`` receives (raise :class:`InvalidAction` to refuse).
    """

    id: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str] = ""
    min_players: ClassVar[int] = 1
    max_players: ClassVar[int] = 8
    #: Real-time games are ticked ``tick_rate`` times per second by the engine.
    realtime: ClassVar[bool] = False
    tick_rate: ClassVar[float] = 0.0
    #: How often a real-time game's views are sent (per second); 0 sends them after every tick.
    view_rate: ClassVar[float] = 0.0
    #: Whether every member gets a ``game_state`` after each accepted action. A real-time game whose
    #: views already go out ``view_rate`` times a second sets it to False: an accepted input then sends
    #: nothing of its own (its effect shows in the next periodic view).
    views_per_action: ClassVar[bool] = True
    #: Actions a second one player may send (a real-time game's input rate), admitted by the socket's
    #: rate limit on top of its usual allowance while the game runs; 0 leaves that limit as it is.
    input_rate: ClassVar[float] = 0.0
    #: The top-level keys of a view that may differ between viewers; ``None`` (the default): any of it
    #: may. A game whose every player's view is the spectator's view (``view(state, None)``) with only
    #: these keys changed or added (the arena: ``ack``) lets the engine encode the rest of a
    #: ``game_state`` once for everyone and add each player's own keys to it.
    view_own_keys: ClassVar[tuple[str, ...] | None] = None
    options_schema: ClassVar[Mapping[str, Any]] = {"type": "object", "properties": {}}
    #: Players per matchmaking room (min, max), within the room limits; None: the room limits.
    match_players: ClassVar[tuple[int, int] | None] = None
    #: How the leaderboard adds a player's game scores up: ``"sum"`` (a running total), ``"min"`` or
    #: ``"max"`` (their best game). The default score is 1 per win, summed: the number of wins.
    score_total: ClassVar[str] = "sum"
    #: Which way the leaderboard ranks the totals: ``"desc"`` (higher first) or ``"asc"`` (lower first).
    score_order: ClassVar[str] = "desc"

    @classmethod
    def match_sizes(cls) -> tuple[int, int]:
        """How many players a matchmaking room of this game starts with, at least and at most."""
        if cls.match_players is None:
            return cls.min_players, cls.max_players
        lo, hi = cls.match_players
        return max(lo, cls.min_players), min(hi, cls.max_players)

    @classmethod
    def info(cls) -> GameInfo:
        return GameInfo(
            id=cls.id,
            name=cls.name,
            description=cls.description,
            min_players=cls.min_players,
            max_players=cls.max_players,
            realtime=cls.realtime,
        )

    def validate_options(self, options: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        return dict(options)

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        raise NotImplementedError

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        raise NotImplementedError

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        """What ``viewer`` may see; ``None`` is a spectator. The only way state leaves the server."""
        raise NotImplementedError

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        return Outcome(state)

    def result(self, state: State) -> Mapping[str, Any] | None:
        """The final result once the game is over, else ``None``."""
        raise NotImplementedError

    def standings(self, result: Mapping[str, Any], players: Sequence[PlayerId]) -> dict[PlayerId, Standing]:
        """Each player's line of a finished game (``result`` is :meth:`result`'s), for the
        leaderboard. A player left out is not recorded for this game; an abandoned game (ended by its
        host) records nobody. The default reads ``winners``: a winner places first and scores 1, the
        others place second and score 0 (a game without winners, a draw, places everyone first)."""
        if result.get("abandoned"):
            return {}
        winners = set(result.get("winners") or ())
        return {
            p: Standing(
                placement=1 if p in winners or not winners else 2, win=p in winners, score=float(p in winners)
            )
            for p in players
        }

    def on_leave(self, state: State, player: PlayerId, ctx: Context, reason: str | None = None) -> Outcome:
        """A player went away. ``reason`` is ``None`` when only their socket dropped: they keep their
        seat for the room's reconnect grace and may come back (:meth:`on_rejoin`), so a game should
        not forfeit them for it. Otherwise they lost their seat for good and never act again:
        ``"left"``, ``"kicked"`` or ``"disconnected"`` (the grace ran out); a game that cannot go on
        without them ends here (its :meth:`result` is then not ``None``). Default: nothing.

        A game whose ``on_leave`` takes no ``reason`` keeps being called as before this parameter
        existed: without one, for a dropped socket and for a lost seat alike."""
        return Outcome(state)

    def on_rejoin(self, state: State, player: PlayerId, ctx: Context) -> Outcome:
        """A player whose socket dropped is back (they kept their seat). Default: nothing."""
        return Outcome(state)

    def turn_deadline(self, state: State) -> float | None:
        """When the engine should next call :meth:`on_timeout`, in ``Context.now`` seconds, or
        ``None`` for no deadline. The engine reads it after every state change; the default (no
        timers) suits games that simply wait for their players."""
        return None

    def on_timeout(self, state: State, ctx: Context) -> Outcome:
        """Called once ``ctx.now`` has reached :meth:`turn_deadline` (e.g. to skip or auto-play a
        slow player's turn). Must be safe to call early or twice: a game re-checks its deadline
        against ``ctx.now`` and returns the state unchanged when nothing is due."""
        return Outcome(state)
