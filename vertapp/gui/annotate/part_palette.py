"""The radiograph palette: the part (body, processes, pedicle) and the vertebra level.

A part key (Shift+B/S/P/T, see PART_KEYS) chooses the part and opens the level entry,
where the level is typed ("L3", "t12") with a hint after every key, or Enter keeps the
vertebra of the last polygon. The palette always says what the next polygon will be
("Next: pedicle of L3"). How the typed text is read is `vertapp.xray.part_display`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFocusEvent, QIcon, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vertapp.gui.annotate.label_palette import LabelPalette
from vertapp.gui.widgets.colors import level_color, part_brush_style
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.labels import PARTS
from vertapp.xray.part_display import PART_WORDS, describe, read_level
from vertapp.xray.parts import UNKNOWN

# B and S alone are Brush and Select: the part keys take Shift (F1 lists them).
PART_KEYS: dict[str, str] = {
    "body": "Shift+B",
    "spinous_process": "Shift+S",
    "pedicle": "Shift+P",
    "transverse_process": "Shift+T",
}
LEVEL_KEY = "V"  # type the level of the next (or the selected) polygon, part unchanged


def pattern_swatch(part: str, size: int = 14) -> QIcon:
    """The part's fill pattern in a neutral grey (the colour belongs to the level)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(40, 40, 40))
    painter = QPainter(pixmap)
    painter.fillRect(pixmap.rect(), QBrush(QColor(220, 220, 220), part_brush_style(part)))
    painter.end()
    return QIcon(pixmap)


class LevelEdit(QLineEdit):
    """The level entry: Enter and Esc are told apart from text edits."""

    entered = Signal()
    escaped = Signal()
    left = Signal()  # the user clicked elsewhere (not another window, not a popup)
    _OWN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)
    _AWAY = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)

    @qt_override
    def event(self, event: QEvent) -> bool:
        # Enter and Esc are also window shortcuts (finish / cancel a polygon): while the
        # entry has the keyboard they end the entry instead.
        own = isinstance(event, QKeyEvent) and event.key() in self._OWN_KEYS
        if event.type() == QEvent.Type.ShortcutOverride and own:
            event.accept()
            return True
        return super().event(event)

    @qt_override
    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt naming)
        super().focusOutEvent(event)
        if event.reason() not in self._AWAY:  # back in this window, the entry goes on
            self.left.emit()

    @qt_override
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.entered.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class PartPalette(LabelPalette):
    """`label_chosen(part)` for a part button, `level_chosen(level)` when an entry ends,
    `entry_closed()` when the entry gives the keyboard back (chosen or Esc)."""

    level_chosen = Signal(str)
    entry_closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        self.level = UNKNOWN
        self.last_level = UNKNOWN  # of the last polygon drawn or selected
        super().__init__(PARTS, parent)

    def _build(self) -> None:
        grid = QGridLayout()
        grid.setSpacing(2)
        for i, part in enumerate(PARTS):
            grid.addWidget(self._button(part), i // 2, i % 2)
        self.entry = LevelEdit()
        self.entry.setPlaceholderText(f"level ({LEVEL_KEY})")
        self.entry.setMaxLength(8)
        self.entry.setToolTip("Type T1..T12 or L1..L5; Enter: same vertebra as the last; Esc")
        self.entry.textEdited.connect(lambda text: self._read(text, enter=False))
        self.entry.entered.connect(lambda: self._read(self.entry.text(), enter=True))
        self.entry.escaped.connect(self._cancel)
        self.entry.left.connect(self._leave)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Vertebra"))
        row.addWidget(self.entry, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        for box in (grid, row):
            layout.addLayout(box)
        for widget in (self.hint, self.next_label):
            layout.addWidget(widget)

    def _button(self, part: str) -> QPushButton:
        words = PART_WORDS[part]
        tip = f"Part {words} ({PART_KEYS[part]}, then the level)"
        return self._add_button(part, words, pattern_swatch(part), tip)

    # -- state -----------------------------------------------------------------------------
    def set_current(self, name: str) -> None:
        if name in self.buttons:
            self.current = name
            self.buttons[name].setChecked(True)
            self._show_next()

    def set_level(self, level: str) -> None:
        self.level = level
        self.entry.setText("" if level == UNKNOWN else level)
        self._show_next()

    def next_text(self) -> str:
        return describe(self.current, self.level)

    def _show_next(self) -> None:
        color = level_color(self.level)
        self.next_label.setText(f"Next: <b>{describe(self.current, self.level)}</b>")
        self.next_label.setStyleSheet(f"border-left: 6px solid {color.name()}; padding-left: 4px;")

    # -- the level entry -------------------------------------------------------------------
    def begin_entry(self) -> None:
        """Give the keyboard to the level entry (after a part key or V)."""
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is not None and not dock.isVisible():  # closed by the user: keys need it
            dock.show()
        self.entry.clear()
        self.entry.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._read("", enter=False)

    @property
    def entering(self) -> bool:
        return self.entry.hasFocus()

    def _read(self, text: str, *, enter: bool) -> None:
        reading = read_level(text, enter=enter, last=self.last_level)
        self.hint.setText(reading.hint)
        self.hint.setStyleSheet("" if reading.valid else "color: #c0392b;")
        if reading.done and reading.level is not None:
            self.set_level(reading.level)
            self.level_chosen.emit(reading.level)
            self.entry_closed.emit()

    def _leave(self) -> None:
        """The user clicked away from the entry (to draw, mostly) without Enter: a level
        typed whole is taken as Enter would ("T1" of T1/T10..T12), anything else is said
        and the level stays. The field showed "T1" while the polygons drawn took L3."""
        text = self.entry.text().strip()
        if text == self.level:  # taken already (Enter, or a level typed whole)
            return
        if not text:  # nothing typed: the level stays, shown again
            self.set_level(self.level)
            return
        reading = read_level(text, enter=True, last=self.last_level)
        if reading.done and reading.level is not None:
            self.set_level(reading.level)
            self.hint.setText(reading.hint)
            self.hint.setStyleSheet("")
            self.level_chosen.emit(reading.level)
            return
        self.set_level(self.level)
        self.hint.setText(f"{text!r} is not a level: the next part stays {self.level}")
        self.hint.setStyleSheet("color: #c0392b;")

    def _cancel(self) -> None:
        self.set_level(self.level)
        self.hint.setText("")
        self.entry_closed.emit()
