"""QUndoCommand wrappers over the annotation layer's invertible operations.

An operation's `apply(project)` changes the project and returns the operation
that undoes it, so a command only ever swaps the two: redo applies the forward
op and keeps its inverse, undo applies the inverse and keeps *its* inverse
(the forward op again, now with any ids it was given bound). The stack holds
no snapshots, so depth is unlimited at the cost of a few small objects a step.

A step replayed by undo or redo notes what it did (`replayed`): the verb and the
images it changed, which the document reads to show that image (Ctrl+Z changed an
image off screen without a word: "Add T5" undone on image 4 while image 1 was shown).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QUndoCommand

from vertapp.gui.widgets.qt_override import qt_override

Apply = Callable[[Any], Any]  # op -> inverse op


@dataclass(frozen=True)
class Replayed:
    """An undo or redo just done: "Undid" / "Redid", and the images it changed, in order."""

    verb: str
    image_ids: tuple[int, ...]


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
        self.replayed: Replayed | None = None  # set by undo/redo, taken by its reader

    @qt_override
    def redo(self) -> None:
        if self._first:  # push() calls redo(); the op was applied already
            self._first = False
            return
        self._inverse = self._replay("Redid", self._forward)

    @qt_override
    def undo(self) -> None:
        self._forward = self._replay("Undid", self._inverse)

    def _replay(self, verb: str, op: Any) -> Any:
        """Apply `op`, noting which images it changed (the project's own change events:
        `apply` is a project's bound method; any other callable notes none)."""
        touched: list[int] = []
        subscribe = getattr(getattr(self._apply, "__self__", None), "subscribe", None)
        stop = subscribe(lambda c: touched.append(c.image_id)) if subscribe else None
        try:
            inverse = self._apply(op)
        finally:
            if stop is not None:
                stop()
        self.replayed = Replayed(verb, tuple(dict.fromkeys(i for i in touched if i is not None)))
        return inverse


def take_replayed(command: QUndoCommand | None) -> Replayed | None:
    """The undo/redo `command` just did (once: a later push never reads it again)."""
    if not isinstance(command, OpCommand) or command.replayed is None:
        return None
    done, command.replayed = command.replayed, None
    return done


def step_words(verb: str, text: str, numbers: list[int]) -> str:
    """ "Undid Add T5 on image 4" (`numbers`: the changed images' places in the list)."""
    if len(numbers) == 1:
        return f"{verb} {text} on image {numbers[0]}"
    return f"{verb} {text} ({len(numbers)} images)" if numbers else f"{verb} {text}"
