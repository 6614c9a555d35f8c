"""A sculpture edited by several collaborators at once, each with an undo and redo of their own edits.

Pure rules, no I/O. Edits are applied one at a time in the order the project's queue hands them over;
every copy (the server's, each browser's) applies the same deltas in the same order and so holds the
same cubes. Undo does not rewind anyone's history: it is a new edit that sets the cells one's own last
edit changed back to what they were before it (whatever happened to them since), and it is recorded
so that redo, again a new edit, sets them to what that edit made them. Each is broadcast like any edit.
"""

from __future__ import annotations

import dataclasses

from roomservice.protocol.edits import CellOp
from roomservice.workshop.sculpture import Delta, EditError, Sculpture

NOTHING_TO_UNDO = "nothing_to_undo"
NOTHING_TO_REDO = "nothing_to_redo"

#: Edits one collaborator can undo, newest kept.
HISTORY_LIMIT = 200


@dataclasses.dataclass
class History:
    """One collaborator's applied edits (to undo) and undone ones (to redo), newest last."""

    undo: list[Delta] = dataclasses.field(default_factory=list)
    redo: list[Delta] = dataclasses.field(default_factory=list)
    limit: int = HISTORY_LIMIT

    def did(self, delta: Delta) -> None:
        """A new edit of one's own: it can be undone, and what was undone can no longer be redone."""
        if delta:
            self.undo.append(delta)
            del self.undo[: -self.limit]
            self.redo.clear()


class Document:
    def __init__(self, sculpture: Sculpture, *, history_limit: int = HISTORY_LIMIT) -> None:
        self.sculpture = sculpture
        self.history_limit = history_limit
        #: By author (an account id): what they can undo and redo.
        self.histories: dict[str, History] = {}

    def history(self, author: str) -> History:
        found = self.histories.get(author)
        if found is None:
            found = self.histories[author] = History(limit=self.history_limit)
        return found

    def edit(self, author: str, op: CellOp) -> Delta:
        """Apply ``op`` for ``author``; raises :class:`EditError` and changes nothing."""
        return self._record(author, self.sculpture.plan(op))

    def restore(self, author: str, version: Sculpture) -> Delta:
        """Make the content ``version`` (a saved one): one edit, undone like any other."""
        return self._record(author, self.sculpture.plan_replace(version))

    def _record(self, author: str, delta: Delta) -> Delta:
        self.sculpture.apply(delta)
        self.history(author).did(delta)
        return delta

    def undo(self, author: str) -> Delta:
        """Set the cells of ``author``'s last edit back; ``nothing_to_undo`` when there is none."""
        history = self.histories.get(author)
        if history is None or not history.undo:
            raise EditError(NOTHING_TO_UNDO, "You have no edit left to undo.")
        applied = self._back(history.undo[-1])
        history.redo.append(history.undo.pop().inverse())
        return applied

    def redo(self, author: str) -> Delta:
        """Make again what ``author`` last undid; ``nothing_to_redo`` when there is nothing (an edit of
        their own since then clears it)."""
        history = self.histories.get(author)
        if history is None or not history.redo:
            raise EditError(NOTHING_TO_REDO, "You have no undone edit to redo.")
        applied = self._back(history.redo[-1])
        history.undo.append(history.redo.pop().inverse())
        return applied

    def _back(self, recorded: Delta) -> Delta:
        """Set each cell of ``recorded`` to what it was before it; returns what that changed (cells
        already so are left out). Cubes others added since may make it too many (``too_many_cubes``):
        then nothing changes and the entry stays. The entry moved to the other stack is ``recorded``'s
        inverse whatever was applied, so that going forward again covers every cell of the edit."""
        delta = self.sculpture.plan_patch({c.cell: c.before for c in recorded.changes})
        self.sculpture.apply(delta)
        return delta

    def can_undo(self, author: str) -> bool:
        history = self.histories.get(author)
        return history is not None and bool(history.undo)

    def can_redo(self, author: str) -> bool:
        history = self.histories.get(author)
        return history is not None and bool(history.redo)
