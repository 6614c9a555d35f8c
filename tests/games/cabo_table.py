"""A tiny driver for Cabo tests: holds the state, the clock and a seeded RNG, like the engine would.

Not a test module; the Cabo test files import it (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from roomservice.games.base import Context, Event, InvalidAction
from roomservice.games.cabo import Cabo
from roomservice.games.cabo.cards import DECK_COUNTS

GAME = Cabo()


def stack(*hands: Sequence[int], discard: int = 0, draws: Sequence[int] = ()) -> list[int]:
    """A dev deck: ``hands`` in dealing order (the starter first), then the first discard, then
    the next ``draws``; the rest of the deck follows in ascending order."""
    top = [rank for hand in hands for rank in hand] + [discard, *draws]
    rest = Counter(DECK_COUNTS)
    rest.subtract(top)
    assert all(n >= 0 for n in rest.values()), f"more cards than a deck holds: {top}"
    return top + sorted(rest.elements())


class Table:
    """One Cabo game driven like the engine drives it, with readable helpers for tests."""

    def __init__(
        self,
        players: Sequence[str] = ("ann", "bob"),
        *,
        deck: list[int] | None = None,
        seed: int = 0,
        **options: Any,
    ) -> None:
        self.players = list(players)
        self.seed = seed
        self.step = 0
        self.now = 0.0
        self.dev = deck is not None
        if deck is not None:
            options["deck"] = deck
        ctx = self.ctx()
        outcome = GAME.setup(self.players, GAME.validate_options(options, ctx), ctx)
        self.state: Any = outcome.state
        self.events: list[Event] = outcome.events

    def ctx(self) -> Context:
        return Context(now=self.now, rng=random.Random(self.seed * 1_000_003 + self.step), dev=self.dev)

    def _take(self, state: Any, events: list[Event]) -> list[Event]:
        # The engine snapshots states as JSON: insist they survive the round trip unchanged.
        assert json.loads(json.dumps(state)) == state
        self.state, self.events = state, events
        self.step += 1
        return events

    def act(self, who: str, move: str, /, **payload: Any) -> list[Event]:
        outcome = GAME.apply(self.state, who, {"move": move, **payload}, self.ctx())
        return self._take(outcome.state, outcome.events)

    def refuse(self, player: str, action: Any) -> str:
        """Send an action that must be refused; check the state is untouched; return the code."""
        before = copy.deepcopy(self.state)
        with pytest.raises(InvalidAction) as err:
            GAME.apply(self.state, player, action, self.ctx())
        assert self.state == before
        return err.value.code

    def timeout(self, *, early: bool = False) -> list[Event]:
        """Let the clock reach the deadline (or stop just short of it) and fire the timeout."""
        deadline = GAME.turn_deadline(self.state)
        assert deadline is not None
        self.now = deadline - 0.001 if early else deadline
        outcome = GAME.on_timeout(self.state, self.ctx())
        return self._take(outcome.state, outcome.events)

    def peek_all(self) -> None:
        """Every player looks at their first two cards, which starts play."""
        for player in self.players:
            self.act(player, "peek_initial", cards=[0, 1])

    def view(self, viewer: str | None) -> Any:
        return GAME.view(self.state, viewer)

    def seen(self, viewer: str | None, owner: str) -> list[int | None]:
        """The ranks of ``owner``'s cards as ``viewer`` sees them."""
        return [card["rank"] for card in self.view(viewer)["hands"][owner]]

    def ranks(self, owner: str) -> list[int]:
        """The true ranks of ``owner``'s cards (tests may look; players may not)."""
        return [card["rank"] for card in self.state["hands"][owner]]

    @property
    def phase(self) -> str:
        phase: str = self.state["phase"]
        return phase

    @property
    def turn(self) -> str | None:
        turn: str | None = self.state["turn"]
        return turn


def types(events: list[Event]) -> list[str]:
    return [e.type for e in events]


def event(events: list[Event], kind: str) -> Event:
    found = [e for e in events if e.type == kind]
    assert len(found) == 1, f"expected one {kind!r} event in {types(events)}"
    return found[0]
