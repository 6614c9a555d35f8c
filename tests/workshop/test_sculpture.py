"""The sculpture's rules without a server: content in and out, each edit's delta, and the codes a
client is told (``out_of_bounds``, ``too_many_cubes``, ``invalid_color``, ``no_cube``,
``invalid_content``)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from roomservice.protocol.edits import Clear, EditOp, Fill, Place, Recolour, Remove
from roomservice.workshop.sculpture import (
    DEFAULT_SIZE,
    MAX_CUBES,
    Change,
    Delta,
    EditError,
    Sculpture,
    color,
)


def codes_of(fn: Any, *args: Any) -> str:
    with pytest.raises(EditError) as info:
        fn(*args)
    return info.value.code


def test_a_new_sculpture_is_an_empty_32_cube_grid() -> None:
    assert Sculpture().to_content() == {"size": [32, 32, 32], "cubes": []}
    assert DEFAULT_SIZE == (32, 32, 32)


def test_content_reads_back_as_written_with_cubes_in_cell_order() -> None:
    content = {
        "size": [8, 4, 2],
        "cubes": [{"x": 7, "y": 3, "z": 1, "color": "#AABBCC"}, {"x": 0, "y": 0, "z": 0, "color": "#000000"}],
    }
    sculpture = Sculpture.from_content(content)
    assert sculpture.size == (8, 4, 2)
    assert sculpture.to_content() == {
        "size": [8, 4, 2],
        "cubes": [{"x": 0, "y": 0, "z": 0, "color": "#000000"}, {"x": 7, "y": 3, "z": 1, "color": "#aabbcc"}],
    }
    assert Sculpture.from_content(sculpture.to_content()) == sculpture


def test_content_without_size_is_on_the_default_grid() -> None:
    assert Sculpture.from_content({"cubes": []}).size == DEFAULT_SIZE


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ([], "invalid_content"),
        ({"size": [32, 32, 32], "cubes": [], "extra": 1}, "invalid_content"),
        ({"size": [32, 32], "cubes": []}, "invalid_content"),
        ({"size": [0, 32, 32], "cubes": []}, "invalid_content"),
        ({"size": [65, 32, 32], "cubes": []}, "invalid_content"),
        ({"size": [True, 32, 32], "cubes": []}, "invalid_content"),
        ({"cubes": {}}, "invalid_content"),
        ({"cubes": [{"x": 0, "y": 0, "z": 0}]}, "invalid_content"),
        ({"cubes": [{"x": 0.5, "y": 0, "z": 0, "color": "#000000"}]}, "invalid_content"),
        ({"cubes": [{"x": 32, "y": 0, "z": 0, "color": "#000000"}]}, "out_of_bounds"),
        ({"cubes": [{"x": -1, "y": 0, "z": 0, "color": "#000000"}]}, "out_of_bounds"),
        ({"cubes": [{"x": 0, "y": 0, "z": 0, "color": "red"}]}, "invalid_color"),
        ({"cubes": [{"x": 0, "y": 0, "z": 0, "color": "#000000"}] * 2}, "invalid_content"),
        ({"cubes": [{"x": 0, "y": 0, "z": 0, "color": "#000000"}] * (MAX_CUBES + 1)}, "too_many_cubes"),
    ],
)
def test_content_that_breaks_a_rule_is_refused_with_its_code(content: Any, code: str) -> None:
    assert codes_of(Sculpture.from_content, content) == code


def test_content_for_a_project_must_have_its_grid() -> None:
    assert codes_of(lambda: Sculpture.from_content({"size": [8, 8, 8], "cubes": []}, size=(32, 32, 32))) == (
        "invalid_content"
    )
    assert Sculpture.from_content({"cubes": []}, size=(8, 8, 8)).size == (8, 8, 8)


@pytest.mark.parametrize("text", ["#00ff00", "#00FF00", "#a1B2c3"])
def test_colours_are_six_hex_digits_kept_in_lower_case(text: str) -> None:
    assert color(text) == text.lower()


@pytest.mark.parametrize(
    "text", ["00ff00", "#0f0", "#00ff0", "#00ff000", "#gg0000", "", None, 255, "#00ff00\n"]
)
def test_anything_else_is_an_invalid_color(text: object) -> None:
    assert codes_of(color, text) == "invalid_color"


def test_place_sets_a_cube_and_over_a_cube_changes_its_colour() -> None:
    sculpture = Sculpture()
    delta = sculpture.plan(Place(x=1, y=2, z=3, color="#FF0000"))
    assert delta == Delta((Change((1, 2, 3), None, "#ff0000"),))
    assert sculpture.cubes == {}  # planning changes nothing
    sculpture.apply(delta)
    assert sculpture.cubes == {(1, 2, 3): "#ff0000"}
    again = sculpture.plan(Place(x=1, y=2, z=3, color="#00ff00"))
    assert again.changes == (Change((1, 2, 3), "#ff0000", "#00ff00"),)
    assert not sculpture.plan(Place(x=1, y=2, z=3, color="#ff0000")), "the same colour changes nothing"


def test_remove_empties_a_cell_and_an_empty_cell_stays_empty() -> None:
    sculpture = Sculpture(cubes={(0, 0, 0): "#123456"})
    assert sculpture.plan(Remove(x=0, y=0, z=0)).removed() == [{"x": 0, "y": 0, "z": 0}]
    assert not sculpture.plan(Remove(x=5, y=5, z=5))


def test_recolour_needs_a_cube() -> None:
    sculpture = Sculpture(cubes={(0, 0, 0): "#123456"})
    assert sculpture.plan(Recolour(x=0, y=0, z=0, color="#abcdef")).placed() == [
        {"x": 0, "y": 0, "z": 0, "color": "#abcdef"}
    ]
    assert codes_of(sculpture.plan, Recolour(x=1, y=0, z=0, color="#abcdef")) == "no_cube"


@pytest.mark.parametrize(
    "op",
    [
        Place(x=32, y=0, z=0, color="#000000"),
        Place(x=0, y=-1, z=0, color="#000000"),
        Remove(x=0, y=0, z=32),
        Recolour(x=99, y=0, z=0, color="#000000"),
        Fill(start=(0, 0, 0), to=(0, 0, 32), color="#000000"),
        Fill(start=(-1, 0, 0), to=(0, 0, 0), color=None),
    ],
)
def test_a_cell_off_the_grid_is_out_of_bounds(op: EditOp) -> None:
    assert codes_of(Sculpture().plan, op) == "out_of_bounds"


@pytest.mark.parametrize(
    "op",
    [
        Place(x=0, y=0, z=0, color="red"),
        Recolour(x=0, y=0, z=0, color="#12345"),
        Fill(start=(0, 0, 0), to=(1, 1, 1), color="#zzzzzz"),
    ],
)
def test_a_bad_colour_is_invalid_color(op: EditOp) -> None:
    assert codes_of(Sculpture(cubes={(0, 0, 0): "#000000"}).plan, op) == "invalid_color"


def test_fill_covers_the_box_between_its_corners_in_any_order() -> None:
    sculpture = Sculpture(size=(4, 4, 4))
    delta = sculpture.plan(Fill(start=(2, 1, 1), to=(1, 2, 1), color="#0000ff"))
    assert {c.cell for c in delta.changes} == {(1, 1, 1), (1, 2, 1), (2, 1, 1), (2, 2, 1)}
    sculpture.apply(delta)
    emptied = sculpture.plan(Fill(start=(0, 0, 0), to=(3, 3, 3), color=None))
    assert len(emptied.removed()) == 4 and not emptied.placed()


def test_clear_removes_every_cube() -> None:
    sculpture = Sculpture(cubes={(0, 0, 0): "#000000", (1, 1, 1): "#111111"})
    sculpture.apply(sculpture.plan(Clear()))
    assert sculpture.cubes == {}


def test_the_cube_limit_holds_and_a_refused_edit_changes_nothing() -> None:
    sculpture = Sculpture()
    assert (
        codes_of(sculpture.plan, Fill(start=(0, 0, 0), to=(31, 31, 31), color="#ffffff")) == "too_many_cubes"
    )
    sculpture.apply(sculpture.plan(Fill(start=(0, 0, 0), to=(31, 31, 18), color="#ffffff")))  # 19,456
    before = sculpture.copy()
    assert (
        codes_of(sculpture.plan, Fill(start=(0, 0, 19), to=(31, 31, 19), color="#ffffff")) == "too_many_cubes"
    )
    assert sculpture == before
    sculpture.apply(sculpture.plan(Fill(start=(0, 0, 19), to=(31, 16, 19), color="#ffffff")))
    assert len(sculpture.cubes) == 19_456 + 544 == MAX_CUBES


def test_at_the_limit_recolouring_and_removing_still_work_but_adding_does_not() -> None:
    cubes = {(i % 32, i // 32 % 32, i // 1024): "#000000" for i in range(MAX_CUBES)}
    sculpture = Sculpture(cubes=cubes)
    assert codes_of(sculpture.plan, Place(x=31, y=31, z=31, color="#ffffff")) == "too_many_cubes"
    assert sculpture.plan(Place(x=0, y=0, z=0, color="#ffffff"))
    assert sculpture.plan(Remove(x=0, y=0, z=0))
    assert sculpture.plan(Clear())


def test_replace_makes_the_other_sculpture_and_needs_the_same_grid() -> None:
    sculpture = Sculpture(cubes={(0, 0, 0): "#000000", (1, 0, 0): "#111111"})
    other = Sculpture(cubes={(1, 0, 0): "#222222", (2, 0, 0): "#333333"})
    sculpture.apply(sculpture.plan_replace(other))
    assert sculpture == other
    assert codes_of(sculpture.plan_replace, Sculpture(size=(4, 4, 4))) == "invalid_content"


def test_ops_decode_from_their_wire_shape() -> None:
    decode = msgspec.json.Decoder(EditOp).decode
    assert decode(b'{"kind":"fill","from":[0,0,0],"to":[1,1,1],"color":null}') == Fill(
        start=(0, 0, 0), to=(1, 1, 1), color=None
    )
    assert decode(b'{"kind":"place","x":1,"y":2,"z":3,"color":"#ffffff"}') == Place(
        x=1, y=2, z=3, color="#ffffff"
    )
    with pytest.raises(msgspec.ValidationError):
        decode(b'{"kind":"place","x":1,"y":2,"z":3,"color":"#ffffff","w":4}')
