"""The list of the project's images with their review status and kind (CT MIP or X-ray).

A model/view list (not one widget per row) so a 1500-image project opens and
scrolls instantly: rows are only asked for what is on screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from vertapp.gui.widgets.qt_override import qt_override

STATUS_COLORS = {  # keyed by the saved status's words (vertapp.review.status.STATUS_TEXT)
    "not started": QColor(150, 150, 150),
    "in progress": QColor(240, 200, 40),
    "completed": QColor(60, 200, 90),
    "flagged for expert": QColor(240, 70, 70),
}
TO_REVIEW = QColor(80, 160, 255)  # predictions wait for a decision
KIND_TAGS = {"mip": "CT MIP", "radiograph": "X-ray"}  # ImageRecord.kind, as the list says it


def kind_tag(kind: str) -> str:
    return KIND_TAGS.get(kind, kind)


def status_color(text: str) -> QColor:
    status = text.split(",")[0]
    if "to review" in text and status != "flagged for expert":
        return TO_REVIEW
    return STATUS_COLORS.get(status, QColor(150, 150, 150))


Index = QModelIndex | QPersistentModelIndex


class ImageListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.status_of: Callable[[int], str] = lambda row: "not started"
        self.kind_of: Callable[[int], str] = lambda row: ""  # set by the image controller

    def set_rows(self, names: list[str], status_of: Callable[[int], str]) -> None:
        self.beginResetModel()
        self.names = names
        self.status_of = status_of
        self.endResetModel()

    def refresh_row(self, row: int) -> None:
        idx = self.index(row)
        self.dataChanged.emit(idx, idx)

    @qt_override
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.names)

    @qt_override
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        kind = kind_tag(self.kind_of(row))
        if role == Qt.ItemDataRole.DisplayRole:
            # two lines: on one, a long status ("in progress, 12 to review") squeezed
            # the name to "c…mip.png" in the dock's width, and the name is what tells
            # the images apart
            return f"{self.names[row]}  [{kind}]\n{self.status_of(row)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return status_color(self.status_of(row))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self.names[row]} ({kind}, {self.status_of(row)})"
        return None


class ProjectPanel(QWidget):
    """Emits `image_activated(row)` when the user picks an image."""

    image_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ImageListModel()
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)  # constant-time layout for long lists
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Ctrl/Shift+click selects several (two radiographs to pair); a click still browses
        self.list.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.summary = QLabel("No project")
        self._syncing = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        self.list.selectionModel().currentChanged.connect(self._on_current)

    def set_rows(self, names: list[str], status_of: Callable[[int], str], title: str) -> None:
        self.model.set_rows(names, status_of)
        kinds = Counter(kind_tag(self.model.kind_of(row)) for row in range(len(names)))
        mix = (
            f" ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
            if len(kinds) > 1
            else ""
        )
        count = f"{len(names)} image{'s' if len(names) != 1 else ''}{mix}"
        # an empty window again (an import that made its project took it back): as at start
        self.summary.setText(f"{title}: {count}" if title or names else "No project")

    def selected_rows(self) -> list[int]:
        """The selected rows, in list order."""
        return sorted(i.row() for i in self.list.selectionModel().selectedRows())

    def select_row(self, row: int) -> None:
        idx = self.model.index(row)
        if self.list.currentIndex() != idx:
            self._syncing = True  # the window chose this row; do not echo it back
            try:
                self.list.setCurrentIndex(idx)
            finally:
                self._syncing = False

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and not self._syncing:
            self.image_activated.emit(current.row())
