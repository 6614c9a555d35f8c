"""The options' check draws as ``random.Random(0)`` does, however it draws."""

from __future__ import annotations

import copy
import pickle
import random

from roomservice.matchmaking.service import ZeroSeeded


def test_the_options_rng_draws_as_random_zero() -> None:
    def draws(rng: random.Random) -> list[object]:
        deck = list(range(20))
        rng.shuffle(deck)
        return [
            rng.random(),
            rng.randrange(1000),
            rng.randint(5, 9),
            rng.choice("abcdef"),
            deck,
            rng.sample(range(100), 5),
            rng.gauss(0.0, 1.0),
            rng.gauss(0.0, 1.0),
            rng.uniform(1.0, 2.0),
            rng.getrandbits(70),
            rng.randbytes(5),
            rng.choices("xyz", k=4),
        ]

    assert draws(ZeroSeeded()) == draws(random.Random(0))
    # Each method as the first draw, too.
    for first in ("random", "getrandbits", "randbytes", "gauss", "shuffle"):
        args = {"getrandbits": (33,), "randbytes": (3,), "gauss": (0.0, 1.0), "shuffle": ([1, 2, 3, 4],)}
        lazy, plain = ZeroSeeded(), random.Random(0)
        assert getattr(lazy, first)(*copy.deepcopy(args.get(first, ()))) == getattr(plain, first)(
            *copy.deepcopy(args.get(first, ()))
        )
        assert lazy.random() == plain.random()


def test_its_state_is_random_zeros() -> None:
    assert ZeroSeeded().getstate() == random.Random(0).getstate()
    moved = ZeroSeeded()
    moved.setstate(random.Random(7).getstate())
    assert moved.random() == random.Random(7).random()
    reseeded = ZeroSeeded()
    reseeded.seed(3)
    assert reseeded.random() == random.Random(3).random()
    assert pickle.loads(pickle.dumps(ZeroSeeded())).random() == random.Random(0).random()
