"""QUndoCommand wrappers over the annotation layer's invertible operations.

An operation's `apply(project)` changes the project and returns the operation
that undoes it, so a command only ever swaps the two: redo applies the forward
op and keeps its inverse, undo applies the inverse and keeps *its* inverse
(the forward op again, now with any ids it was given bound). The stack holds
no snapshots, so depth is unlimited at the cost of a few small objects a step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

Apply = Callable[[Any], Any]  # op -> inverse op


class OpCommand(QUndoCommand):
    """One undo step. Built from an op that has *already* been applied once.

    Applying before pushing lets a refused edit (e.g. a polygon left with two
    vertices) raise to the caller instead of inside QUndoStack.push.
    """

    def __init__(self, apply: Apply, inverse: Any, text: str) -> None:
        super().__init__(text)
        self._apply = apply
        self._forward: Any = None
        self._inverse = inverse
        self._first = True

    def redo(self) -> None:
        if self._first:  # push() calls redo(); the op was applied already
            self._first = False
            return
        self._inverse = self._apply(self._forward)

    def undo(self) -> None:
        self._forward = self._apply(self._inverse)
