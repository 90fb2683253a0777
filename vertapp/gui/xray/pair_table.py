"""The per-vertebra table of a pair: the core's values, doubtful rows highlighted with the
reason in their own column and as a tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QWidget

from vertapp.xray.pair import Row

# What a surgeon reads first comes first (status, score, the motion in mm); the pixel
# columns after scale: at 1280 px the dock shows about seven columns, and with the old
# order (pixels first) Score and Status were scrolled out of sight. Films without a pixel
# spacing (PNG) have no mm: those columns are hidden and the pixel ones shown in their place.
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
# the visual order without a spacing (the mm columns then hidden)
PX_FIRST = ("Level", "Status", "Score", "dx px", "dy px", "Rot °", "Scale", "dx mm", "dy mm")
MM = (COLUMNS.index("dx mm"), COLUMNS.index("dy mm"))
STATUS, SCALE, REASON = COLUMNS.index("Status"), COLUMNS.index("Scale"), COLUMNS.index("Reason")
BY_HAND = "by hand"  # a corrected row's status: "aligned (by hand)" was cut in the dock
# status -> background; a warned but aligned row (torsion, doubtful) gets the warning colour
FAILED = QColor(255, 150, 150)
WARNED = QColor(255, 225, 130)
CORRECTED = QColor(170, 215, 255)
# the reason's share of the wanted width: cut to this much, it reads beside its row (at
# 1600 px it was scrolled off behind a horizontal scroll bar, the window half empty)
REASON_PX = 280


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
        # the reason takes the width left and is cut short ("…"); whole in its tooltip. Sized
        # to its text it pushed the table wider than the dock (a horizontal scroll bar);
        # the window gives the table room for REASON_PX of it (`wanted_width`)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
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
        self._arrange(any(r.dx_mm is not None for r in rows))
        self.resizeColumnsToContents()
        # the reason is the last column: narrowed, it is stretched over the width left
        self.setColumnWidth(REASON, self.horizontalHeader().minimumSectionSize())

    def _arrange(self, mm_known: bool) -> None:
        """mm columns where the films give a spacing, the pixel ones after scale; without
        one (all "–") the mm columns hidden and the pixel ones in their place (a visual
        move: the columns' indexes stay those of `COLUMNS`)."""
        header = self.horizontalHeader()
        order = COLUMNS if mm_known else (*PX_FIRST, "Reason")
        for place, name in enumerate(order):
            header.moveSection(header.visualIndex(COLUMNS.index(name)), place)
        for column in MM:
            self.setColumnHidden(column, not mm_known)

    def essential_width(self) -> int:
        """The width the table needs to show level to scale unscrolled (what a surgeon
        reads; the reason and the secondary offsets may scroll or be cut)."""
        header = self.horizontalHeader()
        last = header.visualIndex(SCALE)
        shown = sum(
            header.sectionSize(c)
            for c in range(self.columnCount())
            if header.visualIndex(c) <= last and not header.isSectionHidden(c)
        )
        # the scroll bar is counted whether shown or not: rows added later bring it
        bar = self.verticalScrollBar().sizeHint().width()
        return shown + 2 * self.frameWidth() + bar

    def wanted_width(self) -> int:
        """Every shown column and REASON_PX for the reason (cut there, whole in its
        tooltip): what fits the table unscrolled. The window gives it while the views keep
        half its width."""
        header = self.horizontalHeader()
        shown = sum(
            header.sectionSize(c)
            for c in range(self.columnCount())
            if c != REASON and not header.isSectionHidden(c)
        )
        title = header.sectionSizeFromContents(REASON).width()
        bar = self.verticalScrollBar().sizeHint().width()
        return shown + max(REASON_PX, title) + 2 * self.frameWidth() + bar

    def update_row(self, row: Row) -> None:
        """One vertebra changed (a nudge): refill its row only, widening a column its new
        text no longer fits (a status; the caller refits the dock)."""
        if row.level not in self.levels:
            return
        self._fill(self.levels.index(row.level), row)
        for column in range(self.columnCount()):
            if column == REASON or self.isColumnHidden(column):
                continue
            if self.sizeHintForColumn(column) > self.columnWidth(column):
                self.resizeColumnToContents(column)

    def _fill(self, i: int, row: Row) -> None:
        values = {
            "Level": row.level,
            "Status": BY_HAND if row.corrected else row.status,
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
            if name == "Status" and row.corrected:
                item.setToolTip(_by_hand_tip(row))
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


def _by_hand_tip(row: Row) -> str:
    """What the short "by hand" stands for, with the reason the row would show otherwise."""
    tip = f"{row.status}, corrected by hand"
    return f"{tip}\n{row.reason}" if row.reason else tip
