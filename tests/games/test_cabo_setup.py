"""Cabo options, dealing and the setup peek window."""

from __future__ import annotations

import random
from typing import Any

import pytest
from cabo_table import GAME, Table, event, stack, types

from roomservice.games.base import Context, InvalidAction
from roomservice.games.builtin import builtin_games
from roomservice.games.cabo import Cabo
from roomservice.games.cabo.cards import full_deck

ANN = [1, 2, 3, 4]
BOB = [5, 6, 7, 8]


def ctx(dev: bool = False) -> Context:
    return Context(now=0.0, rng=random.Random(0), dev=dev)


def options_error(options: Any, dev: bool = False) -> str:
    with pytest.raises(InvalidAction) as err:
        GAME.validate_options(options, ctx(dev))
    return err.value.code


def test_catalogue() -> None:
    assert any(isinstance(g, Cabo) for g in builtin_games())
    info = GAME.info()
    assert (info.id, info.name, info.min_players, info.max_players, info.realtime) == (
        "cabo",
        "Cabo",
        2,
        6,
        False,
    )


def test_default_options() -> None:
    assert GAME.validate_options({}, ctx()) == {
        "peek_seconds": 10.0,
        "turn_timer": None,
        "deck": None,
    }
    opts = GAME.validate_options({"peek_seconds": 5, "turn_timer": 30}, ctx())
    assert opts == {"peek_seconds": 5.0, "turn_timer": 30.0, "deck": None}


@pytest.mark.parametrize(
    "options",
    [
        {"peek_seconds": 0},
        {"peek_seconds": -1},
        {"peek_seconds": "10"},
        {"peek_seconds": True},
        {"peek_seconds": None},
        {"turn_timer": 0},
        {"turn_timer": "fast"},
        {"turn_timer": 10_000},
        {"colour": "red"},
    ],
)
def test_bad_options(options: dict[str, Any]) -> None:
    assert options_error(options) == "invalid_options"


def test_dev_deck_refused_without_dev() -> None:
    assert options_error({"deck": full_deck()}) == "dev_only"


@pytest.mark.parametrize(
    "deck",
    [full_deck()[:-1], [*full_deck()[:-1], 0], [str(r) for r in full_deck()], "0" * 52, 5],
)
def test_dev_deck_must_be_a_permutation_of_the_deck(deck: Any) -> None:
    assert options_error({"deck": deck}, dev=True) == "invalid_options"


def test_dev_deck_accepted_with_dev() -> None:
    deck = list(reversed(full_deck()))
    assert GAME.validate_options({"deck": deck}, ctx(dev=True))["deck"] == deck


@pytest.mark.parametrize("players", [["a"], ["a", "b", "c", "d", "e", "f", "g"], ["a", "a"]])
def test_player_count(players: list[str]) -> None:
    with pytest.raises(InvalidAction) as err:
        GAME.setup(players, {}, ctx())
    assert err.value.code == "wrong_player_count"


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_shuffled_deal(n: int) -> None:
    table = Table([f"p{i}" for i in range(n)], seed=n)
    state = table.state
    assert all(len(state["hands"][p]) == 4 for p in table.players)
    assert len(state["deck"]) == 52 - 4 * n - 1 and len(state["discard"]) == 1
    everything = sorted(
        [*state["deck"], *state["discard"], *(r for p in table.players for r in table.ranks(p))]
    )
    assert everything == full_deck()
    assert state["deck"] != sorted(state["deck"])  # actually shuffled


def test_deal_in_blocks_from_the_top_of_the_deck() -> None:
    table = Table(deck=stack(ANN, BOB, discard=9, draws=[0, 13]))
    assert table.ranks("ann") == ANN and table.ranks("bob") == BOB
    assert table.state["discard"] == [9]
    assert table.state["deck"][:2] == [0, 13]
    assert types(table.events) == ["round_started"]
    assert dict(table.events[0].data) == {
        "round": 1,
        "starter": "ann",
        "discard_top": 9,
        "deadline": 10_000,  # epoch ms on the wire
    }


def test_setup_view_hides_every_card() -> None:
    table = Table(deck=stack(ANN, BOB, discard=9))
    for viewer in ("ann", "bob", None, "stranger"):
        view = table.view(viewer)
        assert view["phase"] == "setup" and view["turn"] is None
        assert view["deadline"] == 10_000 and view["discard_top"] == 9 and view["deck_count"] == 43
        assert all(rank is None for p in table.players for rank in table.seen(viewer, p))
    assert table.view("stranger")["you"] is None


def test_initial_peek_shows_two_own_cards_to_their_owner_only() -> None:
    table = Table(deck=stack(ANN, BOB, discard=9))
    events = table.act("ann", "peek_initial", cards=[3, 1])
    private = event(events, "initial_peek")
    assert private.to == ("ann",)
    assert private.data == {"cards": [{"card": 3, "rank": 4}, {"card": 1, "rank": 2}]}
    public = event(events, "ready")
    assert public.to is None and public.data == {"player": "ann", "cards": [3, 1]}
    assert table.seen("ann", "ann") == [None, 2, None, 4]
    assert table.seen("bob", "ann") == [None] * 4
    assert table.seen(None, "ann") == [None] * 4
    assert table.phase == "setup" and table.view("bob")["ready"] == ["ann"]


def test_play_starts_when_everyone_has_peeked() -> None:
    table = Table(deck=stack(ANN, BOB, discard=9))
    table.act("ann", "peek_initial", cards=[0, 1])
    events = table.act("bob", "peek_initial", cards=[2, 3])
    assert types(events) == ["initial_peek", "ready", "turn"]
    assert table.phase == "turn" and table.turn == "ann"
    assert table.seen("bob", "bob") == [None, None, 7, 8]
    assert table.view("ann")["deadline"] is None  # no turn timer by default


@pytest.mark.parametrize(
    ("cards", "code"),
    [
        ([0], "invalid_card"),
        ([0, 1, 2], "invalid_card"),
        ([1, 1], "invalid_card"),
        ([0, 4], "invalid_card"),
        ([-1, 0], "invalid_card"),
        ([], "invalid_action"),
        ("01", "invalid_action"),
        ([0, "1"], "invalid_action"),
        ([0, True], "invalid_action"),
        (None, "invalid_action"),
    ],
)
def test_bad_initial_peeks(cards: Any, code: str) -> None:
    table = Table()
    assert table.refuse("ann", {"move": "peek_initial", "cards": cards}) == code


def test_initial_peek_only_once_and_only_in_setup() -> None:
    table = Table()
    table.act("ann", "peek_initial", cards=[0, 1])
    assert table.refuse("ann", {"move": "peek_initial", "cards": [2, 3]}) == "already_peeked"
    table.act("bob", "peek_initial", cards=[0, 1])
    assert table.refuse("bob", {"move": "peek_initial", "cards": [2, 3]}) == "wrong_phase"


def test_no_play_during_setup() -> None:
    table = Table()
    assert table.refuse("ann", {"move": "draw"}) == "wrong_phase"
    assert table.refuse("ann", {"move": "cabo"}) == "wrong_phase"


def test_setup_timeout_peeks_first_two_for_the_late_and_starts_play() -> None:
    table = Table(["ann", "bob", "cy"], deck=stack(ANN, BOB, [9, 10, 11, 12], discard=0))
    table.act("bob", "peek_initial", cards=[2, 3])
    assert table.timeout(early=True) == []
    assert table.phase == "setup"
    events = table.timeout()
    assert dict(events[0].data) == {"phase": "setup", "players": ["ann", "cy"]}
    private = [e for e in events if e.type == "initial_peek"]
    assert [e.to for e in private] == [("ann",), ("cy",)]
    assert table.seen("ann", "ann") == [1, 2, None, None]
    assert table.seen("bob", "bob") == [None, None, 7, 8]
    assert table.seen("cy", "cy") == [9, 10, None, None]
    assert table.phase == "turn" and table.turn == "ann"


def test_peek_window_option() -> None:
    table = Table(peek_seconds=3)
    assert GAME.turn_deadline(table.state) == 3.0


def test_setup_rejects_unvalidated_dev_deck() -> None:
    with pytest.raises(InvalidAction) as err:
        GAME.setup(["a", "b"], {"deck": full_deck()}, ctx())
    assert err.value.code == "dev_only"
