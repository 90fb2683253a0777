"""The per-vertebra table of a pair: the core's values, doubtful rows highlighted with the
reason in their own column and as a tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QWidget

from vertapp.xray.pair import Row

# What a surgeon reads first comes first (status, score, the motion in mm); the pixel
# columns last: at 1280 px the dock shows about seven columns, and with the old order
# (pixels first) Score and Status were scrolled out of sight.
COLUMNS = (
    "Level",
    "Status",
    "Score",
    "dx mm",
    "dy mm",
    "Rot °",
    "Scale",
    "dx px",
    "dy px",
    "Reason",
)
NUMERIC = frozenset(COLUMNS[2:9])
# status -> background; a warned but aligned row (torsion, doubtful) gets the warning colour
FAILED = QColor(255, 150, 150)
WARNED = QColor(255, 225, 130)
CORRECTED = QColor(170, 215, 255)


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


class PairTable(QTableWidget):
    """`level_chosen(level)` when a row is clicked or selected from the keyboard."""

    level_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.itemSelectionChanged.connect(self._on_selection)
        self.levels: list[str] = []

    def show_rows(self, rows: list[Row]) -> None:
        chosen = self.chosen()
        self.blockSignals(True)
        self.setRowCount(len(rows))
        self.levels = [r.level for r in rows]
        for i, row in enumerate(rows):
            self._fill(i, row)
        if chosen in self.levels:
            self.selectRow(self.levels.index(chosen))
        self.blockSignals(False)
        self.resizeColumnsToContents()

    def update_row(self, row: Row) -> None:
        """One vertebra changed (a nudge): refill its row only."""
        if row.level in self.levels:
            self._fill(self.levels.index(row.level), row)

    def _fill(self, i: int, row: Row) -> None:
        status = row.status + (" (by hand)" if row.corrected else "")
        values = {
            "Level": row.level,
            "Status": status,
            "Score": _num(row.score, 2),
            "dx mm": _num(row.dx_mm, 2),
            "dy mm": _num(row.dy_mm, 2),
            "Rot °": _num(row.rotation_deg, 2),
            "Scale": _num(row.scale, 3),
            "dx px": _num(row.dx_px, 1),
            "dy px": _num(row.dy_px, 1),
            "Reason": row.reason,
        }
        colour = _colour(row)
        for col, name in enumerate(COLUMNS):
            item = QTableWidgetItem(values[name])
            if name in NUMERIC:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row.reason:
                item.setToolTip(row.reason)
            if colour is not None:
                item.setBackground(QBrush(colour))
                item.setForeground(QBrush(QColor(0, 0, 0)))
            self.setItem(i, col, item)

    def chosen(self) -> str | None:
        rows = {index.row() for index in self.selectedIndexes()}
        return self.levels[min(rows)] if rows else None

    def choose(self, level: str) -> None:
        if level in self.levels:
            self.selectRow(self.levels.index(level))

    def _on_selection(self) -> None:
        level = self.chosen()
        if level is not None:
            self.level_chosen.emit(level)


def _colour(row: Row) -> QColor | None:
    if row.status == "failed":
        return FAILED
    if row.status == "fallback" or row.reason:
        return WARNED
    return CORRECTED if row.corrected else None
