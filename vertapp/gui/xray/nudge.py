"""A hand correction of one vertebra as an undoable command (`vertapp.xray.pair` does the
work; this only remembers what to put back). Steps on the same vertebra merge, so holding
an arrow key is one undo."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from vertapp.gui.widgets.qt_override import qt_override
from vertapp.xray.pair import Box, PairState, nudged

NUDGE_ID = 4713


class NudgeCommand(QUndoCommand):
    def __init__(
        self,
        state: PairState,
        level: str,
        step: tuple[float, float, float, float],  # dx px, dy px, turn deg, scale factor
        on_change: Callable[[str, Box], None],
    ) -> None:
        super().__init__(f"Correct {level}")
        self.state, self.level, self.on_change = state, level, on_change
        self.before = state.record(level)
        self.was_corrected = level in state.corrected
        self.target = nudged(state.similarity(level), *step)

    @qt_override
    def redo(self) -> None:
        self.on_change(self.level, self.state.set_similarity(self.level, self.target))

    @qt_override
    def undo(self) -> None:
        box = self.state.restore(self.level, self.before, self.was_corrected)
        self.on_change(self.level, box)

    @qt_override
    def id(self) -> int:
        return NUDGE_ID

    @qt_override
    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt naming)
        if not isinstance(other, NudgeCommand) or other.level != self.level:
            return False
        self.target = other.target
        return True
