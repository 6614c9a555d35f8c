"""Several collaborators on one sculpture: undo and redo of one's own edits as new edits, and the
properties that make every copy converge (hypothesis runs random edit scripts on small grids)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomservice.protocol.edits import CellOp, Clear, Fill, Place, Recolour, Remove
from roomservice.workshop.document import Document, History
from roomservice.workshop.sculpture import Change, Delta, EditError, Sculpture

EXAMPLES = int(os.environ.get("ROOMSERVICE_FUZZ_EXAMPLES", "100"))
SIZE = (4, 3, 3)
LIMIT = 12
RED, GREEN, BLUE = "#ff0000", "#00ff00", "#0000ff"


def code_of(fn: Any, *args: Any) -> str:
    with pytest.raises(EditError) as info:
        fn(*args)
    return info.value.code


def test_undo_sets_back_ones_own_last_edit_and_redo_makes_it_again() -> None:
    doc = Document(Sculpture())
    doc.edit("ann", Place(x=0, y=0, z=0, color=RED))
    doc.edit("ann", Place(x=0, y=0, z=0, color=GREEN))
    undone = doc.undo("ann")
    assert undone.placed() == [{"x": 0, "y": 0, "z": 0, "color": RED}]
    assert doc.sculpture.cubes == {(0, 0, 0): RED}
    assert doc.can_redo("ann")
    redone = doc.redo("ann")
    assert redone.placed() == [{"x": 0, "y": 0, "z": 0, "color": GREEN}]
    doc.undo("ann")
    doc.undo("ann")
    assert doc.sculpture.cubes == {}
    assert code_of(doc.undo, "ann") == "nothing_to_undo"


def test_each_collaborator_undoes_only_their_own_edits() -> None:
    doc = Document(Sculpture())
    doc.edit("ann", Place(x=0, y=0, z=0, color=RED))
    doc.edit("bob", Place(x=1, y=0, z=0, color=BLUE))
    doc.undo("ann")
    assert doc.sculpture.cubes == {(1, 0, 0): BLUE}
    assert code_of(doc.undo, "cy") == "nothing_to_undo"
    assert code_of(doc.redo, "bob") == "nothing_to_redo"


def test_undo_sets_back_a_cell_another_changed_since() -> None:
    """Undo is 'my cells as they were before my edit', applied now as a new edit."""
    doc = Document(Sculpture())
    doc.edit("ann", Place(x=0, y=0, z=0, color=RED))
    doc.edit("bob", Recolour(x=0, y=0, z=0, color=BLUE))
    assert doc.undo("ann").removed() == [{"x": 0, "y": 0, "z": 0}]
    assert doc.sculpture.cubes == {}
    doc.redo("ann")
    assert doc.sculpture.cubes == {(0, 0, 0): RED}


def test_a_new_edit_clears_what_could_be_redone() -> None:
    doc = Document(Sculpture())
    doc.edit("ann", Place(x=0, y=0, z=0, color=RED))
    doc.undo("ann")
    doc.edit("ann", Place(x=1, y=0, z=0, color=RED))
    assert code_of(doc.redo, "ann") == "nothing_to_redo"


def test_an_edit_that_changes_nothing_is_not_undone() -> None:
    doc = Document(Sculpture())
    assert not doc.edit("ann", Remove(x=0, y=0, z=0))
    assert not doc.can_undo("ann")


def test_a_refused_undo_changes_nothing_and_stays_undoable() -> None:
    doc = Document(Sculpture(size=SIZE, limit=2))
    doc.edit("ann", Place(x=0, y=0, z=0, color=RED))
    doc.edit("ann", Remove(x=0, y=0, z=0))
    doc.edit("bob", Place(x=1, y=0, z=0, color=RED))
    doc.edit("bob", Place(x=2, y=0, z=0, color=RED))
    before = doc.sculpture.copy()
    assert code_of(doc.undo, "ann") == "too_many_cubes"
    assert doc.sculpture == before and doc.can_undo("ann")
    doc.edit("bob", Remove(x=2, y=0, z=0))
    doc.undo("ann")
    assert doc.sculpture.cubes[(0, 0, 0)] == RED


def test_restore_is_an_edit_that_undo_takes_back() -> None:
    doc = Document(Sculpture())
    doc.edit("ann", Place(x=0, y=0, z=0, color=RED))
    saved = doc.sculpture.copy()
    doc.edit("bob", Fill(start=(0, 0, 0), to=(1, 1, 1), color=BLUE))
    current = doc.sculpture.copy()
    doc.restore("bob", saved)
    assert doc.sculpture == saved
    doc.undo("bob")
    assert doc.sculpture == current


def test_history_keeps_the_newest_edits_up_to_its_limit() -> None:
    history = History(limit=3)
    deltas = [Delta((Change((i, 0, 0), None, RED),)) for i in range(5)]
    for delta in deltas:
        history.did(delta)
    assert history.undo == deltas[2:]


# -- properties ------------------------------------------------------------------------------------

coord = st.tuples(st.integers(-1, SIZE[0]), st.integers(-1, SIZE[1]), st.integers(-1, SIZE[2]))
colours = st.sampled_from([RED, GREEN, BLUE, "#FFFFFF", "nope"])
ops: st.SearchStrategy[CellOp] = st.one_of(
    st.builds(lambda c, k: Place(x=c[0], y=c[1], z=c[2], color=k), coord, colours),
    st.builds(lambda c: Remove(x=c[0], y=c[1], z=c[2]), coord),
    st.builds(lambda c, k: Recolour(x=c[0], y=c[1], z=c[2], color=k), coord, colours),
    st.builds(lambda a, b, k: Fill(start=a, to=b, color=k), coord, coord, st.one_of(st.none(), colours)),
    st.just(Clear()),
)
cells = st.dictionaries(
    st.tuples(st.integers(0, SIZE[0] - 1), st.integers(0, SIZE[1] - 1), st.integers(0, SIZE[2] - 1)),
    st.sampled_from([RED, GREEN, BLUE]),
    max_size=LIMIT,
)
sculptures = st.builds(lambda c: Sculpture(SIZE, c, limit=LIMIT), cells)
AUTHORS = ("ann", "bob", "cy")
steps = st.lists(
    st.tuples(st.sampled_from(AUTHORS), st.one_of(ops, st.just("undo"), st.just("redo"))), max_size=40
)
props = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@props
@given(sculptures, ops)
def test_a_planned_edit_and_its_inverse_return_the_sculpture(sculpture: Sculpture, op: CellOp) -> None:
    before = sculpture.copy()
    try:
        delta = sculpture.plan(op)
    except EditError:
        assert sculpture == before
        return
    assert sculpture == before, "planning changed the sculpture"
    sculpture.apply(delta)
    assert len(sculpture.cubes) <= LIMIT
    assert len({c.cell for c in delta.changes}) == len(delta.changes)
    sculpture.apply(delta.inverse())
    assert sculpture == before


@props
@given(sculptures)
def test_content_reads_back_to_the_same_sculpture(sculpture: Sculpture) -> None:
    assert Sculpture.from_content(sculpture.to_content()) == sculpture


@props
@given(sculptures, st.lists(ops, max_size=20))
def test_undoing_each_of_ones_edits_returns_the_content_and_redo_the_result(
    sculpture: Sculpture, script: list[CellOp]
) -> None:
    start = sculpture.copy()
    doc = Document(sculpture)
    done = 0
    for op in script:
        try:
            if doc.edit("ann", op):
                done += 1
        except EditError:
            pass
    end = doc.sculpture.copy()
    for _ in range(done):
        doc.undo("ann")
    assert doc.sculpture == start
    assert not doc.can_undo("ann")
    for _ in range(done):
        doc.redo("ann")
    assert doc.sculpture == end


@props
@given(sculptures, steps, st.sampled_from(AUTHORS), ops)
def test_an_edit_undone_at_once_returns_the_content_whatever_came_before(
    sculpture: Sculpture, script: list[tuple[str, Any]], author: str, op: CellOp
) -> None:
    doc = Document(sculpture)
    run(doc, script)
    before = doc.sculpture.copy()
    try:
        delta = doc.edit(author, op)
    except EditError:
        assert doc.sculpture == before
        return
    if delta:
        doc.undo(author)
    assert doc.sculpture == before


def run(doc: Document, script: list[tuple[str, Any]], replicas: Sequence[Sculpture] = ()) -> None:
    """Apply a script of edits, undos and redos; each replica applies only the cubes each accepted step
    broadcasts (set and removed), as a browser does."""
    for author, step in script:
        before = doc.sculpture.copy()
        try:
            if step == "undo":
                delta = doc.undo(author)
            elif step == "redo":
                delta = doc.redo(author)
            else:
                delta = doc.edit(author, step)
        except EditError:
            assert doc.sculpture == before, "a refused step changed the sculpture"
            continue
        for replica in replicas:
            for cube in delta.placed():
                replica.cubes[(cube["x"], cube["y"], cube["z"])] = cube["color"]
            for cell in delta.removed():
                replica.cubes.pop((cell["x"], cell["y"], cell["z"]), None)
        assert len(doc.sculpture.cubes) <= LIMIT


@props
@given(sculptures, steps)
def test_every_copy_that_applies_the_broadcast_steps_in_order_converges(
    sculpture: Sculpture, script: list[tuple[str, Any]]
) -> None:
    replicas = [sculpture.copy(), sculpture.copy()]
    doc = Document(sculpture)
    run(doc, script, replicas)
    assert all(replica == doc.sculpture for replica in replicas)
    assert Sculpture.from_content(doc.sculpture.to_content()) == doc.sculpture
