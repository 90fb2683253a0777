"""The brush / eraser radius box of the Labels dock, which gives the keyboard back.

Clicked once, a spin box kept the keyboard: the label digits and D then went into it and
changed the brush radius without a word. A step (its arrows, the wheel, Up/Down) and
Enter or Esc now end its turn (`done`: the window hands the keyboard to the image); a
number can still be typed into it, Enter taking it and Esc putting the old one back.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QSpinBox, QWidget

from vertapp.gui.widgets.qt_override import qt_override

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class BrushBox(QSpinBox):
    """`done()` when the user has finished with it (a step, Enter, Esc)."""

    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._before = self.value()  # what Esc puts back: the value when it took the keyboard

    @qt_override
    def event(self, event: QEvent) -> bool:
        # Enter and Esc are window keys too (finish a polygon, deselect): here they end
        # the typing instead
        own = isinstance(event, QKeyEvent) and event.key() in (*_ENTER, Qt.Key.Key_Escape)
        if event.type() == QEvent.Type.ShortcutOverride and own:
            event.accept()
            return True
        return super().event(event)

    @qt_override
    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt naming)
        self._before = self.value()
        super().focusInEvent(event)

    @qt_override
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        if event.key() == Qt.Key.Key_Escape:
            self.setValue(self._before)
            self.done.emit()
            return
        super().keyPressEvent(event)  # Enter: the typed number taken (editingFinished)
        if event.key() in _ENTER:
            self.done.emit()

    @qt_override
    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt naming)
        super().stepBy(steps)
        self.done.emit()
