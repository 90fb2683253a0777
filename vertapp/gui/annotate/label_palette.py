"""Buttons T1..L5 (or the radiograph parts), the current label and the next one suggested."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vertapp.gui.widgets.colors import label_color
from vertapp.gui.widgets.qt_override import qt_override
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


# The palette asks the width it always has (six columns of 34 px): the window's layout
# is sized round it. Its buttons take fewer columns when that is all the room there is.
MIN_WIDTH = 218
MAX_COLUMNS = 6
SWATCH = 12
SPACING = 2
MARGIN = 2


def grid_places(labels: Sequence[str], columns: int) -> dict[str, tuple[int, int]]:
    """(row, column) of each label, `columns` wide; a new region (T, then L) starts a row
    of its own, so the lumbar levels keep their place under each other at every width."""
    places: dict[str, tuple[int, int]] = {}
    row, col, region = 0, 0, None
    for name in labels:
        if col == columns or (region is not None and name[0] != region):
            row, col = row + 1, 0
        places[name] = (row, col)
        region, col = name[0], col + 1
    return places


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
        # the selected outline's label, shown checked instead of the next one (None: the
        # next one is shown; `show_selected`)
        self.selected_label: str | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.next_label = QLabel()
        self.grid: QGridLayout | None = None  # the level buttons' grid (`reflow`)
        self.columns = 0
        self._build()
        self.set_current(labels[0])

    def _build(self) -> None:
        self.grid = QGridLayout()
        self.grid.setSpacing(SPACING)
        for name in self.labels:
            self._button(name)
        self._place(MAX_COLUMNS)
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addLayout(self.grid)
        layout.addWidget(self.next_label)

    @qt_override
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if self.grid is not None:
            self._place(self.columns_for(event.size().width()))

    def columns_for(self, width: int) -> int:
        """As many columns as fit buttons showing their whole text (T10 was cut to "T1("
        in six columns of 34 px in the 222 px dock of a 1280 px window)."""
        need = max(b.sizeHint().width() for b in self.buttons.values())
        room = width - 2 * MARGIN + SPACING
        return max(1, min(MAX_COLUMNS, room // (need + SPACING)))

    def _place(self, columns: int) -> None:
        if self.grid is None or columns == self.columns:
            return
        self.columns = columns
        for name, (row, col) in grid_places(self.labels, columns).items():
            self.grid.removeWidget(self.buttons[name])
            self.grid.addWidget(self.buttons[name], row, col)

    def _button(self, name: str) -> QPushButton:
        color = label_color(name)
        key = VERTEBRA_KEYS.get(name)
        tip = f"Label {name}" + (f" ({key})" if key else "")
        btn = self._add_button(name, name, swatch(color, SWATCH), tip)
        btn.setIconSize(QSize(SWATCH, SWATCH))  # the swatch's own size: no room lost round it
        btn.setMinimumWidth(34)  # below its text's width: the columns make room (`columns_for`)
        btn.setStyleSheet(
            f"QPushButton {{ border-left: 5px solid {color.name()}; padding: 2px 1px; }}"
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
            self.next_label.setText(f"Next label: {name}  (N)")
            self.next_label.setToolTip("")
            self._check()

    def show_selected(self, label: str | None) -> None:
        """Check the selected outline's label (None: the next label for this image). The
        next label (`current`, what a drawn outline gets) stays as it is: the palette
        kept the previous image's choice checked while another outline was selected."""
        self.selected_label = label if label in self.buttons else None
        self._check()

    def shown(self) -> str | None:
        """The label whose button is checked (None: none is)."""
        button = self.group.checkedButton()
        return next((n for n, b in self.buttons.items() if b is button), None)

    def _check(self) -> None:
        """The selected outline's label, else the next one; none when none is left."""
        name = self.selected_label or (None if self.none_left else self.current)
        checked = self.group.checkedButton()
        if name in self.buttons:
            self.buttons[name].setChecked(True)
        elif checked is not None:  # an exclusive group keeps one checked: let go a moment
            self.group.setExclusive(False)
            checked.setChecked(False)
            self.group.setExclusive(True)

    def suggest(self, used: Sequence[str], last: str | None) -> None:
        """Propose the label for the next outline, given every label on the image
        (`vertapp.review.next_label.suggest_next`)."""
        name = suggest_next(used, last, self.labels)
        if name is None and not self.one_each:  # parts repeat: keep the last one
            name = last if last in self.labels else self.current
        self.suggested = name
        if name is None:
            # `current` stays (it labels an outline drawn anyway), unchecked: it was the
            # previous image's choice, shown as if it were this image's next label
            self.none_left = True
            self.next_label.setText(NONE_LEFT)
            self.next_label.setToolTip(NONE_LEFT_TIP)
            self._check()
        else:
            self.set_current(name)

    def follow(self, used: Sequence[str]) -> None:
        """The image's outlines changed (a prediction run, a rejection, an undo): a
        proposed label follows them; one the user chose stays."""
        if self.one_each and (self.none_left or self.current == self.suggested):
            self.suggest(used, used[-1] if used else None)
