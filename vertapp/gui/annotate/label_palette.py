"""Buttons T1..L5 (or the radiograph parts), the current label and the next one suggested."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vertapp.gui.widgets.colors import label_color
from vertapp.labels import VERTEBRAE
from vertapp.review.next_label import suggest_next

# Number row for T1..T12, Alt+digit for L1..L5: every label has a key, none needs a mouse.
_T_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "="]
VERTEBRA_KEYS: dict[str, str] = {
    **{f"T{i + 1}": k for i, k in enumerate(_T_KEYS)},
    **{f"L{i}": f"Alt+{i}" for i in range(1, 6)},
}


def swatch(color: QColor, size: int = 12) -> QIcon:
    """A filled square of the label's colour (shows in every widget style, unlike a border)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(color)
    return QIcon(pixmap)


NONE_LEFT = "Next label: none left (all levels used)"
NONE_LEFT_TIP = "Every level is on this image already: choose a label to draw another outline"


class LabelPalette(QWidget):
    """`label_chosen(name)` when a button is pressed; the window applies it.

    The radiograph palette (`part_palette.PartPalette`) is one of these with its own
    layout (`_build`), so whoever takes "the palette" works with both.
    """

    label_chosen = Signal(str)

    def __init__(self, labels: tuple[str, ...] = VERTEBRAE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels = labels
        self.current = labels[0]
        # Vertebra levels are one outline each per image, so the palette proposes unused
        # ones; radiograph parts repeat (a body per vertebra).
        self.one_each = set(labels) <= set(VERTEBRAE)
        self.suggested: str | None = None  # what `suggest` proposed last
        self.none_left = False  # every level is used: nothing to propose (N does nothing)
        self.buttons: dict[str, QPushButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.next_label = QLabel()
        self._build()
        self.set_current(labels[0])

    def _build(self) -> None:
        grid = QGridLayout()
        grid.setSpacing(2)
        for i, name in enumerate(self.labels):
            grid.addWidget(self._button(name), i // 6, i % 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(grid)
        layout.addWidget(self.next_label)

    def _button(self, name: str) -> QPushButton:
        color = label_color(name)
        key = VERTEBRA_KEYS.get(name)
        tip = f"Label {name}" + (f" ({key})" if key else "")
        btn = self._add_button(name, name, swatch(color), tip)
        btn.setMinimumWidth(34)
        btn.setStyleSheet(
            f"QPushButton {{ border-left: 5px solid {color.name()}; padding: 2px; }}"
            f"QPushButton:checked {{ background: {color.darker(180).name()}; color: white; }}"
        )
        return btn

    def _add_button(self, name: str, text: str, icon: QIcon, tip: str) -> QPushButton:
        """A checkable button of the exclusive group that emits `label_chosen(name)`."""
        btn = QPushButton(text)
        btn.setCheckable(True)
        btn.setIcon(icon)
        btn.setToolTip(tip)
        btn.clicked.connect(lambda _=False, n=name: self.label_chosen.emit(n))
        self.group.addButton(btn)
        self.buttons[name] = btn
        return btn

    def set_current(self, name: str) -> None:
        if name in self.buttons:
            self.current = name
            self.none_left = False
            self.buttons[name].setChecked(True)
            self.next_label.setText(f"Next label: {name}  (N)")
            self.next_label.setToolTip("")

    def suggest(self, used: Sequence[str], last: str | None) -> None:
        """Propose the label for the next outline, given every label on the image
        (`vertapp.review.next_label.suggest_next`)."""
        name = suggest_next(used, last, self.labels)
        if name is None and not self.one_each:  # parts repeat: keep the last one
            name = last if last in self.labels else self.current
        self.suggested = name
        if name is None:
            self.none_left = True  # the checked button stays: it labels a polygon drawn anyway
            self.next_label.setText(NONE_LEFT)
            self.next_label.setToolTip(NONE_LEFT_TIP)
        else:
            self.set_current(name)

    def follow(self, used: Sequence[str]) -> None:
        """The image's outlines changed (a prediction run, a rejection, an undo): a
        proposed label follows them; one the user chose stays."""
        if self.one_each and (self.none_left or self.current == self.suggested):
            self.suggest(used, used[-1] if used else None)
