"""A voxel sculpture: coloured cubes on a bounded grid, and the edits that change it.

Pure rules, no I/O. An edit is first *planned* against the sculpture as it stands — the cells it
changes, each with its colour before and after (a :class:`Delta`), or an :class:`EditError` saying why
it cannot be made — and then applied. A delta's inverse takes the cells back, which is what undo builds
on. Content on the wire and in the database is ``{"size": [x, y, z], "cubes": [{"x", "y", "z",
"color": "#rrggbb"}]}``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from roomservice.protocol.edits import CellOp, Clear, Fill, Place, Recolour, Remove

Cell = tuple[int, int, int]

#: The grid of a new project.
DEFAULT_SIZE: Cell = (32, 32, 32)
#: Cubes one sculpture may hold.
MAX_CUBES = 20_000
#: The longest side a grid may have.
MAX_SIDE = 64

OUT_OF_BOUNDS = "out_of_bounds"
TOO_MANY_CUBES = "too_many_cubes"
INVALID_COLOR = "invalid_color"
NO_CUBE = "no_cube"
INVALID_CONTENT = "invalid_content"

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class EditError(Exception):
    """An edit or a content that breaks a rule; ``code`` is what the client is told."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def color(value: object) -> str:
    """``value`` as a colour (``#rrggbb``, lower case), or :class:`EditError` ``invalid_color``."""
    if not isinstance(value, str) or _COLOR.fullmatch(value) is None:
        shown = repr(value)[:40]
        raise EditError(INVALID_COLOR, f"A colour is written #rrggbb (six hex digits), not {shown}.")
    return value.lower()


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One cell an edit changes: its colour before and after (None: no cube)."""

    cell: Cell
    before: str | None
    after: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Delta:
    """What one edit did: each changed cell once. Cells it left as they were are not in it."""

    changes: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    def inverse(self) -> Delta:
        return Delta(tuple(Change(c.cell, c.after, c.before) for c in self.changes))

    def placed(self) -> list[dict[str, Any]]:
        """The cubes it set (new ones and new colours), as content cubes."""
        return [_cube(c.cell, c.after) for c in self.changes if c.after is not None]

    def removed(self) -> list[dict[str, int]]:
        """The cells it emptied."""
        return [{"x": c.cell[0], "y": c.cell[1], "z": c.cell[2]} for c in self.changes if c.after is None]


def _cube(cell: Cell, colour: str) -> dict[str, Any]:
    return {"x": cell[0], "y": cell[1], "z": cell[2], "color": colour}


class Sculpture:
    """The cubes of one grid. ``plan_*`` never change it; :meth:`apply` does."""

    __slots__ = ("cubes", "limit", "size")

    def __init__(
        self, size: Cell = DEFAULT_SIZE, cubes: Mapping[Cell, str] | None = None, *, limit: int = MAX_CUBES
    ) -> None:
        self.size = size
        self.cubes: dict[Cell, str] = dict(cubes or {})
        #: The most cubes it may hold (:data:`MAX_CUBES`; smaller in tests).
        self.limit = limit

    # -- content ------------------------------------------------------------------------------

    @classmethod
    def from_content(cls, content: Any, *, size: Cell | None = None) -> Sculpture:
        """Read content as sent or stored; raises :class:`EditError` (``invalid_content`` for its shape,
        or the rule it breaks). ``size``, when given, is the grid the content must have."""
        if not isinstance(content, dict) or set(content) - {"size", "cubes"}:
            raise EditError(INVALID_CONTENT, 'Content is {"size": [x, y, z], "cubes": [...]}.')
        grid = _size(content.get("size", list(size or DEFAULT_SIZE)))
        if size is not None and grid != size:
            raise EditError(INVALID_CONTENT, f"The grid of this project is {list(size)}.")
        cubes = content.get("cubes", [])
        if not isinstance(cubes, list):
            raise EditError(INVALID_CONTENT, "cubes is a list of {x, y, z, color}.")
        if len(cubes) > MAX_CUBES:
            raise EditError(TOO_MANY_CUBES, f"A sculpture holds at most {MAX_CUBES} cubes.")
        sculpture = cls(grid)
        for cube in cubes:
            if not isinstance(cube, dict) or set(cube) != {"x", "y", "z", "color"}:
                raise EditError(INVALID_CONTENT, "Each cube is {x, y, z, color}.")
            cell = sculpture.cell(cube["x"], cube["y"], cube["z"])
            if cell in sculpture.cubes:
                raise EditError(INVALID_CONTENT, f"Two cubes at {list(cell)}.")
            sculpture.cubes[cell] = color(cube["color"])
        return sculpture

    def to_content(self) -> dict[str, Any]:
        """The content, cubes in x, y, z order (the same sculpture always reads the same)."""
        return {
            "size": list(self.size),
            "cubes": [_cube(cell, self.cubes[cell]) for cell in sorted(self.cubes)],
        }

    def copy(self) -> Sculpture:
        return Sculpture(self.size, self.cubes, limit=self.limit)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sculpture) and self.size == other.size and self.cubes == other.cubes

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Sculpture(size={self.size}, {len(self.cubes)} cubes)"

    def cell(self, x: object, y: object, z: object) -> Cell:
        """The cell at ``x, y, z``, or :class:`EditError` ``out_of_bounds`` (``invalid_content`` for a
        coordinate that is not an integer)."""
        coords = (x, y, z)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in coords):
            raise EditError(INVALID_CONTENT, "Coordinates are integers.")
        cell: Cell = (int(x), int(y), int(z))  # type: ignore[call-overload]
        if not all(0 <= v < side for v, side in zip(cell, self.size, strict=True)):
            sx, sy, sz = self.size
            raise EditError(
                OUT_OF_BOUNDS, f"{list(cell)} is off the grid: 0 ≤ x < {sx}, 0 ≤ y < {sy}, 0 ≤ z < {sz}."
            )
        return cell

    # -- planning -----------------------------------------------------------------------------

    def plan(self, op: CellOp) -> Delta:
        """The delta ``op`` makes here, or :class:`EditError`. Changes nothing."""
        if isinstance(op, Place):
            return self.plan_patch({self.cell(op.x, op.y, op.z): color(op.color)})
        if isinstance(op, Remove):
            return self.plan_patch({self.cell(op.x, op.y, op.z): None})
        if isinstance(op, Recolour):
            cell = self.cell(op.x, op.y, op.z)
            colour = color(op.color)
            if cell not in self.cubes:
                raise EditError(NO_CUBE, f"There is no cube at {list(cell)} to recolour.")
            return self.plan_patch({cell: colour})
        if isinstance(op, Fill):
            return self.plan_patch(
                dict.fromkeys(self._box(op), None if op.color is None else color(op.color))
            )
        if isinstance(op, Clear):
            return self.plan_patch(dict.fromkeys(self.cubes, None))
        raise TypeError(f"not a cell edit: {op!r}")

    def _box(self, op: Fill) -> Iterator[Cell]:
        a, b = self.cell(*op.start), self.cell(*op.to)
        (x0, x1), (y0, y1), (z0, z1) = (sorted(pair) for pair in zip(a, b, strict=True))
        return ((x, y, z) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1) for z in range(z0, z1 + 1))

    def plan_patch(self, targets: Mapping[Cell, str | None]) -> Delta:
        """Set each cell of ``targets`` to its colour (None: empty it). Cells must be on the grid and
        colours valid already; the cube limit is checked here."""
        changes = []
        count = len(self.cubes)
        for cell, after in targets.items():
            before = self.cubes.get(cell)
            if before == after:
                continue
            count += (before is None) - (after is None)
            changes.append(Change(cell, before, after))
        if count > self.limit and count > len(self.cubes):
            raise EditError(
                TOO_MANY_CUBES, f"A sculpture holds at most {self.limit} cubes; this makes {count}."
            )
        return Delta(tuple(changes))

    def plan_replace(self, other: Sculpture) -> Delta:
        """The delta that makes this sculpture ``other`` (a restored version; same grid)."""
        if other.size != self.size:
            raise EditError(INVALID_CONTENT, f"The grid of this project is {list(self.size)}.")
        targets: dict[Cell, str | None] = dict.fromkeys(self.cubes.keys() - other.cubes.keys(), None)
        targets.update(other.cubes)
        return self.plan_patch(targets)

    # -- applying -----------------------------------------------------------------------------

    def apply(self, delta: Delta) -> None:
        """Make each change of a delta planned against this very state."""
        cubes = self.cubes
        for change in delta.changes:
            if change.after is None:
                cubes.pop(change.cell, None)
            else:
                cubes[change.cell] = change.after


def _size(value: object) -> Cell:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SIDE for v in value)
    ):
        raise EditError(INVALID_CONTENT, f"size is three whole numbers from 1 to {MAX_SIDE}.")
    return (value[0], value[1], value[2])
