"""The workshop's edit operations as they travel in an ``edit`` frame's ``op``, tagged by ``kind``.

Only their shape is checked here (integers, strings); whether a cell lies on the grid, a colour is
``#rrggbb`` and the cube limit holds are the sculpture's rules (``roomservice.workshop``), which answer
with their own codes (``out_of_bounds``, ``invalid_color``, ``too_many_cubes``).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

#: Coordinates and versions stay within the integers every JSON client reads exactly.
_INT_MAX = 2**53 - 1
Int = Annotated[int, msgspec.Meta(ge=-_INT_MAX, le=_INT_MAX)]
#: Long enough for any colour text the rules might be asked to judge, short enough to echo back.
ColorText = Annotated[str, msgspec.Meta(max_length=32)]


class _Op(msgspec.Struct, tag_field="kind", forbid_unknown_fields=True, kw_only=True):
    pass


class Place(_Op, tag="place"):
    """Put a cube of ``color`` at a cell (a cube already there takes the colour)."""

    x: Int
    y: Int
    z: Int
    color: ColorText


class Remove(_Op, tag="remove"):
    """Take away the cube at a cell (an empty cell stays empty)."""

    x: Int
    y: Int
    z: Int


class Recolour(_Op, tag="recolour"):
    """Give the cube at a cell another colour; an empty cell is ``no_cube``."""

    x: Int
    y: Int
    z: Int
    color: ColorText


class Fill(_Op, tag="fill"):
    """Every cell of the box between two corners (both included) gets a cube of ``color``, or is
    emptied when ``color`` is null."""

    start: tuple[Int, Int, Int] = msgspec.field(name="from")
    to: tuple[Int, Int, Int]
    color: ColorText | None


class Clear(_Op, tag="clear"):
    """Remove every cube."""


class Restore(_Op, tag="restore"):
    """Make the content what it was at a saved ``version`` (an edit like any other: undo takes it back)."""

    version: Int


#: The edits the sculpture plans by itself; ``Restore`` needs the saved version's content first.
CellOp = Place | Remove | Recolour | Fill | Clear
EditOp = Place | Remove | Recolour | Fill | Clear | Restore
