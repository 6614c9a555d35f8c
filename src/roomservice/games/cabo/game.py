"""The Cabo game class: options, setup, the move dispatcher, timeouts, view and result.

The rules live in :mod:`.moves` (one function per move), :mod:`.flow` (turns and rounds),
:mod:`.scoring` and :mod:`.view`; see ``docs/games.md`` for payloads, events and the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import roomservice.games.cabo.flow as flow
import roomservice.games.cabo.moves as moves
from roomservice.games.base import (
    Context,
    Event,
    Game,
    InvalidAction,
    Outcome,
    PlayerId,
    Standing,
    State,
)
from roomservice.games.cabo.cards import DECK_SIZE, is_full_deck
from roomservice.games.cabo.view import view as cabo_view

DEFAULT_PEEK_SECONDS = 10.0
MAX_PEEK_SECONDS = 600.0
MAX_TURN_TIMER = 3600.0


def _seconds(options: Mapping[str, Any], key: str, default: float | None, limit: float) -> Any:
    value = options.get(key, default)
    if value is None and default is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= limit:
        raise InvalidAction("invalid_options", f"{key!r} must be a number of seconds in (0, {limit}].")
    return float(value)


class Cabo(Game):
    """Keep the lowest hand you can without seeing most of it; call Cabo when you think you win."""

    id = "cabo"
    name = "Cabo"
    description = (
        "A memory card game: four face-down cards each, draw, swap and use powers to end "
        "each round with the lowest sum. Lowest total when someone passes 100 wins."
    )
    min_players = 2
    max_players = 6
    match_players = (2, 4)
    realtime = False
    #: The leaderboard: a player's best (lowest) final total, lower first (see :meth:`standings`).
    score_total = "min"
    score_order = "asc"
    options_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "peek_seconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": MAX_PEEK_SECONDS,
                "default": DEFAULT_PEEK_SECONDS,
                "description": "How long the setup peek window lasts.",
            },
            "turn_timer": {
                "type": ["number", "null"],
                "exclusiveMinimum": 0,
                "maximum": MAX_TURN_TIMER,
                "default": None,
                "description": "Seconds per turn; a late turn is auto-played (draw and discard).",
            },
            "deck": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 13},
                "minItems": DECK_SIZE,
                "maxItems": DECK_SIZE,
                "description": "Dev only: the deck order, top of the draw pile first.",
            },
        },
    }

    def validate_options(self, options: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """Fill defaults and refuse bad values; a fixed ``deck`` needs the server's dev mode."""
        if not isinstance(options, Mapping):
            raise InvalidAction("invalid_options", "Options must be an object.")
        unknown = sorted(set(map(str, options)) - set(self.options_schema["properties"]))
        if unknown:
            raise InvalidAction("invalid_options", f"Unknown Cabo options: {', '.join(unknown)}.")
        deck = options.get("deck")
        if deck is not None:
            if not ctx.dev:
                raise InvalidAction("dev_only", "The 'deck' option needs a server run with --dev.")
            if not is_full_deck(deck):
                raise InvalidAction(
                    "invalid_options",
                    "'deck' must be the 52 ranks of a Cabo deck "
                    "(two 0s, four each of 1..12, two 13s), top first.",
                )
            deck = list(deck)
        return {
            "peek_seconds": _seconds(options, "peek_seconds", DEFAULT_PEEK_SECONDS, MAX_PEEK_SECONDS),
            "turn_timer": _seconds(options, "turn_timer", None, MAX_TURN_TIMER),
            "deck": deck,
        }

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        distinct = len(set(players)) == len(players)
        if not (self.min_players <= len(players) <= self.max_players and distinct):
            raise InvalidAction("wrong_player_count", "Cabo needs 2 to 6 distinct players.")
        state = flow.new_state(list(players), self.validate_options(options, ctx))
        events: list[Event] = []
        flow.start_round(state, ctx, events)
        return Outcome(state, events)

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        # The order every game follows (docs/games.md): player, game over, the move's name, then
        # the move's own checks (turn, phase, fields).
        if player not in flow.active(state):
            raise InvalidAction("not_a_player", "You are not playing this game.")
        if state["phase"] == flow.GAME_OVER:
            raise InvalidAction("game_over", "The game is over.")
        if not isinstance(action, dict) or not isinstance(action.get("move"), str):
            raise InvalidAction("invalid_action", 'Send {"move": "<name>", ...}.')
        move = moves.MOVES.get(action["move"])
        if move is None:
            raise InvalidAction("unknown_move", f"Unknown move {action['move']!r}.")
        new = flow.clone(state)
        events = move(new, player, action, ctx)
        return Outcome(new, events)

    def turn_deadline(self, state: State) -> float | None:
        """The end of the peek window, of the current turn or of the round-over pause."""
        deadline: float | None = state["deadline"]
        return deadline

    def on_timeout(self, state: State, ctx: Context) -> Outcome:
        """Once the deadline has passed: end the setup peeks (first two cards for anyone who did
        not choose), auto-play a late turn (draw and discard, no power; a drawn card is discarded;
        a pending power is skipped), or start the next round. Early calls change nothing."""
        deadline = state["deadline"]
        if deadline is None or ctx.now < deadline or state["phase"] == flow.GAME_OVER:
            return Outcome(state)
        s = flow.clone(state)
        phase, player = s["phase"], s["turn"]
        if phase == flow.SETUP:
            late = [p for p in flow.active(s) if p not in s["ready"]]
        else:
            late = [] if player is None else [player]
        events = [Event("timed_out", {"phase": phase, "players": late})]
        if phase == flow.SETUP:
            flow.finish_setup(s, ctx, events)
        elif phase == flow.ROUND_OVER:
            flow.start_round(s, ctx, events)
        elif phase == flow.POWER:
            events.append(Event("power_skipped", {"player": player, "power": s["power"]}))
            flow.end_turn(s, ctx, events)
        else:
            if phase == flow.TURN:
                events += moves.draw(s, player, {}, ctx)
            events += moves.discard_drawn(s, player, ctx, with_power=False)
        return Outcome(s, events)

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        """Cabo is not real-time, but an engine that ticks it gets the same timeout rule."""
        return self.on_timeout(state, ctx)

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return cabo_view(state, viewer)

    def result(self, state: State) -> Mapping[str, Any] | None:
        if state["phase"] != flow.GAME_OVER:
            return None
        result: dict[str, Any] = {
            "winners": list(state["winners"]),
            "totals": dict(state["totals"]),
            "rounds": state["round"],
        }
        if state.get("forfeit") is not None:
            result["forfeit"] = dict(state["forfeit"])
        return result

    def standings(self, result: Mapping[str, Any], players: Sequence[PlayerId]) -> dict[PlayerId, Standing]:
        """The final total is the score; placement ranks the totals, lowest first (equal totals share
        a place), with the winners first whatever their total (a forfeit wins on the spot)."""
        if result.get("abandoned"):
            return {}
        totals = result.get("totals") or {}
        winners = set(result.get("winners") or ())
        scored = [p for p in players if p in totals]

        def key(p: PlayerId) -> tuple[int, float]:
            return (0 if p in winners else 1, float(totals[p]))

        return {
            p: Standing(
                placement=1 + sum(1 for q in scored if key(q) < key(p)),
                win=p in winners,
                score=float(totals[p]),
            )
            for p in scored
        }

    def on_leave(self, state: State, player: PlayerId, ctx: Context, reason: str | None = None) -> Outcome:
        """A dropped socket changes nothing: the game waits (with a ``turn_timer`` their turns are
        auto-played meanwhile). A lost seat takes the player out for good: with one player left
        that player wins; otherwise their turns are skipped from now on, and if it is their turn it
        ends at once (a drawn card is discarded without its power, a pending power is skipped)."""
        if reason is None or state["phase"] == flow.GAME_OVER or player not in flow.active(state):
            return Outcome(state)
        s = flow.clone(state)
        s["gone"] = {**flow.gone(s), player: reason}
        events = [Event("player_gone", {"player": player, "reason": reason})]
        seated = flow.active(s)
        phase = s["phase"]
        if len(seated) == 1:
            forfeit = {"player": player, "reason": reason}
            s.update(phase=flow.GAME_OVER, turn=None, drawn=None, power=None, deadline=None)
            s.update(winners=seated, forfeit=forfeit)
            data = {"winners": seated, "totals": dict(s["totals"]), "forfeit": forfeit}
            events.append(Event("game_over", data))
        elif phase == flow.SETUP:
            if all(p in s["ready"] for p in seated):
                flow.start_play(s, ctx, events)
        elif phase in flow.TURN_PHASES and s["turn"] == player:
            if phase == flow.DRAWN:
                events += moves.discard_drawn(s, player, ctx, with_power=False)
            else:
                if phase == flow.POWER:
                    events.append(Event("power_skipped", {"player": player, "power": s["power"]}))
                flow.end_turn(s, ctx, events)
        return Outcome(s, events)

    # on_rejoin keeps the base default: the game simply carries on.
