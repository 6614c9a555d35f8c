"""Whole random Cabo games: nothing hidden ever leaves through a view or an event, every game ends
with a valid result, and the same seed and actions replay to the same states.

The check of what a viewer may see does not trust the game's own bookkeeping: :class:`Witness`
follows the actions with its own, simpler model of who has seen which card.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from collections import Counter
from typing import Any

import pytest

from roomservice.games.base import Context, Event, InvalidAction
from roomservice.games.cabo import Cabo
from roomservice.games.cabo.cards import full_deck

GAME = Cabo()
STRANGER = "zed"
TIMEOUT = "timeout"
VIEW_KEYS = {
    "phase", "round", "players", "you", "starter", "turn", "caller", "ready", "deadline",
    "turn_timer", "deck_count", "discard_top", "discard_count", "hands", "drawn", "power",
    "totals", "resets_used", "last_round", "winners", "gone",
}  # fmt: skip
PRIVATE = {"initial_peek", "drew_card", "peek_result", "spy_result"}
#: Public events that may carry ranks, because those ranks are public at that moment.
PUBLIC_RANKS = {"round_started", "took_discard", "exchanged", "discarded", "round_over"}


@dataclasses.dataclass
class Slot:
    up: bool = False
    known: set[str] = dataclasses.field(default_factory=set)


class Witness:
    """Who may see which card position, rebuilt from the actions alone."""

    def __init__(self, players: list[str]) -> None:
        self.players = players
        self.slots: dict[str, list[Slot]] = {}
        self.deal()

    def deal(self) -> None:
        self.slots = {p: [Slot() for _ in range(4)] for p in self.players}

    def follow(self, before: Any, player: str | None, action: Any) -> None:
        """Update the model for ``action`` (or a timeout) applied by ``player`` to ``before``."""
        phase = before["phase"]
        if action == TIMEOUT:
            if phase == "setup":
                for p in self.players:
                    if p not in before["ready"]:
                        self.slots[p][0].known.add(p)
                        self.slots[p][1].known.add(p)
            elif phase == "round_over":
                self.deal()
            return
        assert player is not None
        move = action["move"]
        if move == "next_round":
            self.deal()
        elif move == "peek_initial":
            for i in action["cards"]:
                self.slots[player][i].known.add(player)
        elif move in ("exchange", "take_discard"):
            hand = [c["rank"] for c in before["hands"][player]]
            cards = action["cards"]
            from_discard = move == "take_discard"
            new = Slot(up=from_discard, known=set() if from_discard else {player})
            slots = self.slots[player]
            if len({hand[i] for i in cards}) == 1:
                keep = min(cards)
                self.slots[player] = [
                    new if i == keep else s for i, s in enumerate(slots) if i == keep or i not in cards
                ]
            else:
                for i in cards:
                    slots[i].up = True
                slots.append(new)
        elif move == "peek":
            self.slots[player][action["card"]].known.add(player)
        elif move == "spy":
            self.slots[action["player"]][action["card"]].known.add(player)
        elif move == "swap":
            mine, theirs = self.slots[player], self.slots[action["player"]]
            i, j = action["card"], action["their_card"]
            mine[i], theirs[j] = theirs[j], mine[i]
            mine[i].known = set()
            theirs[j].known = set()

    def may_see(self, viewer: str | None, owner: str, i: int, state: Any) -> bool:
        if state["phase"] in ("round_over", "game_over"):
            return True
        slot = self.slots[owner][i]
        return slot.up or (viewer is not None and viewer in slot.known)


def check_views(state: Any, witness: Witness) -> None:
    """Every view shows exactly the ranks its viewer may see: no more (leak), no less."""
    for viewer in [*state["players"], None, STRANGER]:
        view = GAME.view(state, viewer)
        assert set(view) == VIEW_KEYS
        assert json.loads(json.dumps(view)) == view
        me = viewer if viewer in state["players"] else None
        for owner in state["players"]:
            shown, truth = view["hands"][owner], state["hands"][owner]
            assert len(shown) == len(truth) == len(witness.slots[owner])
            for i, (card, real) in enumerate(zip(shown, truth, strict=True)):
                assert card["face_up"] == witness.slots[owner][i].up
                if witness.may_see(me, owner, i, state):
                    assert card["rank"] == real["rank"]
                else:
                    assert card["rank"] is None, f"{viewer} sees {owner}'s card {i}"
        holds = state["phase"] == "drawn" and me == state["turn"]
        assert view["drawn"] == (state["drawn"]["rank"] if holds else None)
        assert view["deck_count"] == len(state["deck"])


def check_events(events: list[Event], before: Any, after: Any, witness: Witness) -> None:
    for e in events:
        assert json.loads(json.dumps(dict(e.data))) == dict(e.data)
        if e.type in PRIVATE:
            assert e.to is not None and len(e.to) == 1
            (who,) = e.to
            if e.type == "drew_card":
                assert who == before["turn"]
            elif e.type == "initial_peek":
                assert all(who in witness.slots[who][c["card"]].known for c in e.data["cards"])
            elif e.type == "peek_result":
                assert who in witness.slots[who][e.data["card"]].known
            else:
                assert who in witness.slots[e.data["target"]][e.data["card"]].known
            continue
        assert e.to is None
        if e.type not in PUBLIC_RANKS:
            assert "rank" not in json.dumps(dict(e.data)), e
        elif e.type == "took_discard":
            assert e.data["rank"] == before["discard"][-1]
        elif e.type == "exchanged" and e.data["source"] == "deck":
            assert e.data["rank"] is None


def check_invariants(state: Any) -> None:
    cards = [*state["deck"], *state["discard"]]
    cards += [c["rank"] for p in state["players"] for c in state["hands"][p]]
    if state["drawn"] is not None:
        cards.append(state["drawn"]["rank"])
    assert Counter(cards) == Counter(full_deck())
    assert (state["drawn"] is not None) == (state["phase"] == "drawn")


def random_cards(rng: random.Random, size: int) -> list[int]:
    k = 1 if rng.random() < 0.7 else rng.randint(2, min(3, size))
    return rng.sample(range(size), k)


def legal_choice(state: Any, rng: random.Random) -> tuple[str | None, Any]:
    """A random legal action (or a timeout when one is due), as (player, payload)."""
    phase, turn = state["phase"], state["turn"]
    if state["deadline"] is not None and rng.random() < 0.05:
        return None, TIMEOUT
    if phase == "setup":
        late = [p for p in state["players"] if p not in state["ready"]]
        return rng.choice(late), {"move": "peek_initial", "cards": rng.sample(range(4), 2)}
    if phase == "round_over":
        return rng.choice(state["players"]), {"move": "next_round"}
    others = [p for p in state["players"] if p != turn]
    size = len(state["hands"][turn])
    if phase == "turn":
        r = rng.random()
        if r < 0.04 and state["caller"] is None:
            return turn, {"move": "cabo"}
        if r < 0.3 and state["discard"]:
            return turn, {"move": "take_discard", "cards": random_cards(rng, size)}
        return turn, {"move": "draw"}
    if phase == "drawn":
        if rng.random() < 0.5:
            return turn, {"move": "exchange", "cards": random_cards(rng, size)}
        return turn, {"move": "discard"}
    assert phase == "power"
    if rng.random() < 0.2:
        return turn, {"move": "skip_power"}
    target = rng.choice(others)
    theirs = rng.randrange(len(state["hands"][target]))
    if state["power"] == "peek":
        return turn, {"move": "peek", "card": rng.randrange(size)}
    if state["power"] == "spy":
        return turn, {"move": "spy", "player": target, "card": theirs}
    mine = rng.randrange(size)
    return turn, {"move": "swap", "card": mine, "player": target, "their_card": theirs}


def junk(state: Any, rng: random.Random) -> tuple[str, Any]:
    """A random, probably illegal, action from anyone."""
    player = rng.choice([*state["players"], STRANGER])
    names = ["draw", "take_discard", "exchange", "discard", "peek", "spy", "swap", "skip_power"]
    names += ["cabo", "peek_initial", "next_round", "fly", ""]
    action: dict[str, Any] = {"move": rng.choice(names)}
    pool: list[Any] = [-1, 0, 1, 3, 4, 7, True, None, "1", [0], [0, 0], [1, 2], [9], []]
    for key in ("card", "cards", "their_card", "player"):
        if rng.random() < 0.5:
            action[key] = rng.choice([*pool, *state["players"], STRANGER])
    return player, action


@dataclasses.dataclass
class Played:
    players: list[str]
    options: dict[str, Any]
    #: (step, player, action, now) of every accepted step; refused junk takes no step.
    log: list[tuple[int, str | None, Any, float]]
    states: list[Any]
    events: list[Event]


def ctx(seed: int, step: int, now: float) -> Context:
    return Context(now=now, rng=random.Random(seed * 1_000_003 + step))


def play(seed: int, max_steps: int = 20_000) -> Played:
    rng = random.Random(seed)
    players = [f"p{i}" for i in range(rng.randint(2, 6))]
    options = {"turn_timer": rng.choice([None, 30])}
    opts = GAME.validate_options(options, ctx(seed, 0, 0.0))
    outcome = GAME.setup(players, opts, ctx(seed, 0, 0.0))
    state, now = outcome.state, 0.0
    witness = Witness(players)
    played = Played(players, options, [], [state], list(outcome.events))
    check_events(outcome.events, state, state, witness)
    check_views(state, witness)
    for step in range(1, max_steps):
        if state["phase"] == "game_over":
            return played
        now += rng.uniform(0, 2)
        player: str | None
        if rng.random() < 0.1:
            player, action = junk(state, rng)
            before = copy.deepcopy(state)
            try:
                outcome = GAME.apply(state, player, action, ctx(seed, step, now))
            except InvalidAction as err:
                assert state == before and err.code and err.message
                continue
        else:
            player, action = legal_choice(state, rng)
            if action == TIMEOUT:
                now = max(now, state["deadline"])
                outcome = GAME.on_timeout(state, ctx(seed, step, now))
            else:
                assert player is not None
                outcome = GAME.apply(state, player, action, ctx(seed, step, now))
        witness.follow(state, player, action)
        check_events(outcome.events, state, outcome.state, witness)
        # Like the engine: the next rule sees the state as it comes back from a JSON snapshot.
        state = json.loads(json.dumps(outcome.state))
        assert state == outcome.state
        check_invariants(state)
        check_views(state, witness)
        played.log.append((step, player, action, now))
        played.states.append(state)
        played.events.extend(outcome.events)
    raise AssertionError(f"seed {seed}: no end after {max_steps} steps")


def check_result(played: Played) -> None:
    state = played.states[-1]
    result = GAME.result(state)
    assert result is not None
    totals = result["totals"]
    assert max(totals.values()) > 100
    assert result["winners"] == [p for p in played.players if totals[p] == min(totals.values())]
    # Totals are the running sum of round scores, with each player's one reset at exactly 100.
    running = dict.fromkeys(played.players, 0)
    reset_seen: list[str] = []
    for e in played.events:
        if e.type != "round_over":
            continue
        for p in played.players:
            running[p] += e.data["scores"][p]
            if p in e.data["reset"]:
                assert running[p] == 100 and p not in reset_seen
                reset_seen.append(p)
                running[p] = 50
        assert running == e.data["totals"]
    assert running == totals
    assert sum(e.type == "game_over" for e in played.events) == 1


# One block in make test; the other five, 2 s each, in make test-slow.
@pytest.mark.parametrize("block", [0, *(pytest.param(b, marks=pytest.mark.slow) for b in range(1, 6))])
def test_random_games_never_leak_and_always_end(block: int) -> None:
    for seed in range(block * 10, block * 10 + 10):
        check_result(play(seed))


def test_same_seed_and_actions_replay_to_the_same_states() -> None:
    for seed in (3, 17, 42):
        played = play(seed)
        state = GAME.setup(
            played.players, GAME.validate_options(played.options, ctx(seed, 0, 0.0)), ctx(seed, 0, 0.0)
        ).state
        assert state == played.states[0]
        for (step, player, action, now), expected in zip(played.log, played.states[1:], strict=True):
            if action == TIMEOUT:
                state = GAME.on_timeout(state, ctx(seed, step, now)).state
            else:
                assert player is not None
                state = GAME.apply(state, player, action, ctx(seed, step, now)).state
            assert state == expected
        assert play(seed).states == played.states
