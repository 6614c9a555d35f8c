"""Hypothesis strategies for client frames of every shape, good and bad, written as JSON text by hand so
that numbers no Python value holds (``1e400``, ``NaN``) and nesting of any depth can appear anywhere."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from roomservice.protocol.frames import TYPES

#: ``ROOMSERVICE_FUZZ_EXAMPLES=20000 pytest tests/protocol tests/realtime/test_fuzz_socket.py`` runs longer.
EXAMPLES = int(os.environ.get("ROOMSERVICE_FUZZ_EXAMPLES", "100"))
fuzz_settings = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclasses.dataclass(frozen=True)
class Raw:
    """A token written into the JSON text as it is."""

    token: str


ODD_NUMBERS = st.sampled_from(
    [
        "1e400",
        "-1e400",
        "1E999",
        "1e-400",
        "-0",
        "0.0",
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "9" * 4301,
        "9007199254740992",
        "-9007199254740991",
        "NaN",
        "Infinity",
        "-Infinity",
        "01",
        "1.",
        ".5",
        "0x10",
    ]
).map(Raw)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)


values = st.recursive(scalars, _containers, max_leaves=16)
odd_values = st.recursive(scalars | ODD_NUMBERS, _containers, max_leaves=16)


@st.composite
def _wrapped(draw: st.DrawFn, inner: st.SearchStrategy[Any]) -> Any:
    """``inner`` inside 0–40 levels of arrays and objects: around the depth limit and past it."""
    value = draw(inner)
    for as_list in draw(st.lists(st.booleans(), max_size=40)):
        value = [value] if as_list else {"k": value}
    return value


def deep(inner: st.SearchStrategy[Any] = values) -> st.SearchStrategy[Any]:
    return _wrapped(inner)


#: Edit ops, good and bad, for ``edit`` frames.
OPS = [
    {"kind": "place", "x": 1, "y": 2, "z": 3, "color": "#ff0000"},
    {"kind": "place", "x": 1, "y": 2, "color": "#ff0000"},
    {"kind": "remove", "x": 1, "y": 2, "z": 3},
    {"kind": "fill", "from": [0, 0, 0], "to": [1, 1, 1], "color": None},
    {"kind": "fill", "from": [0, 0], "to": [1, 1, 1], "color": None},
    {"kind": "clear"},
    {"kind": "clear", "extra": 1},
    {"kind": "restore", "version": 2},
    {"kind": "warp"},
]


def _frames(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    field = inner | deep(inner)
    known = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(TYPES) | st.text(max_size=8) | field,
            "ref": st.text(max_size=8) | st.integers() | field,
            "text": st.text(max_size=40)
            | st.text(" \t\n", max_size=600)
            | st.text(min_size=490, max_size=510)
            | field,
            "room_code": st.text(max_size=8) | field,
            "last_seq": st.integers() | field,
            "payload": field,
            "game": st.text(max_size=8) | st.text(min_size=38, max_size=42) | field,
            "project_id": st.text(max_size=8) | st.text(min_size=63, max_size=66) | field,
            "op": field | st.sampled_from(OPS),
            "x": st.integers() | field,
            "name": st.text(max_size=8) | field,
            "collaborators": st.lists(st.text(max_size=4), max_size=3) | field,
        },
    )
    extra = st.dictionaries(st.text(max_size=6), field, max_size=2)
    return st.tuples(extra, known).map(lambda pair: {**pair[0], **pair[1]})


#: Frames whose JSON holds only values Python holds too, so the expected answer can be computed.
frames = _frames(values)
#: Any shape at all: objects that look like frames, bare values, deep nesting, odd number tokens.
anything = _frames(odd_values) | odd_values | deep(odd_values)


def dump(value: Any) -> str:
    """JSON text for ``value``, with :class:`Raw` tokens as they are."""
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """Frame text cut short or with random text spliced in."""
    text = dump(draw(anything))
    at = draw(st.integers(0, len(text)))
    return (
        text[:at] + draw(st.text(max_size=4)) + text[at + draw(st.integers(0, 3)) :]
        if draw(st.booleans())
        else text[:at]
    )
