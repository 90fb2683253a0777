"""The review table's words are legible: every cell's text at least 4.5:1 against the
table's background (WCAG AA), the label's colour kept as a swatch beside it.

The Vertebra column was drawn in each label's colour darkened 130 % on white: L4 read
1.9:1, T9 2.3:1; "not started" grey and "in progress" orange were 4.4 and 2.6:1."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette

from tests.unit.review.sample import predicted
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.model.review_panel import COLUMNS, ReviewPanel
from vertapp.gui.widgets.colors import label_color
from vertapp.labels import VERTEBRAE

pytest.importorskip("pytestqt")
AA = 4.5


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def every_level_panel(qtbot) -> ReviewPanel:  # type: ignore[no-untyped-def]
    """One image holding T1..L5: an accepted, an edited, a flagged prediction, a hand-drawn
    outline and undecided ones (every status colour)."""
    import numpy as np

    from vertapp.gui.document.document import Document

    insts = [predicted(i + 1, name, 2 + 3 * i, 0.9) for i, name in enumerate(VERTEBRAE)]
    insts[0].reviewed = True
    insts[1].source = "corrected"
    insts[2].extra = {"vertapp": {"flagged": True}}
    insts[3].order_changed = True
    insts.append(Instance(99, "T4", insts[3].polygons))  # hand-drawn
    project = Project(label_set="vertebrae")
    project.add_image(ImageRecord(1, "images/a.png", 64, 64, patient_key="p", instances=insts))
    doc = Document()
    doc.set_project(project, "test", pending={1: np.zeros((64, 64), np.uint8)})
    doc.set_current(1)
    panel = ReviewPanel(doc)
    qtbot.addWidget(panel)
    panel.set_threshold(0.5)
    panel.resize(520, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def shown_text_color(panel: ReviewPanel, row: int, col: int) -> QColor:
    """The colour a cell's text is drawn in (unselected): its own, else the table's."""
    brush = panel.table.item(row, col).foreground()
    if brush.style() != Qt.BrushStyle.NoBrush:
        return brush.color()
    return panel.table.palette().color(QPalette.ColorRole.Text)


def test_every_cell_reads_at_least_4_5_to_1(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = every_level_panel(qtbot)
    base = panel.table.palette().color(QPalette.ColorRole.Base)
    assert panel.table.rowCount() == len(VERTEBRAE) + 1
    for row in range(panel.table.rowCount()):
        for col in range(len(COLUMNS)):
            ratio = contrast(shown_text_color(panel, row, col), base)
            text = panel.table.item(row, col).text()
            assert ratio >= AA, f"row {row} column {COLUMNS[col]} {text!r}: {ratio:.2f}:1"


def test_the_label_colour_stays_as_a_swatch(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = every_level_panel(qtbot)
    for row, name in enumerate(VERTEBRAE):
        item = panel.table.item(row, 0)
        assert item.text() == name
        assert QColor(item.data(Qt.ItemDataRole.DecorationRole)) == label_color(name)


def test_headers_keep_room_at_the_column_edges(qtbot) -> None:  # type: ignore[no-untyped-def]
    """With a row selected the headers were drawn bold in columns sized for the normal
    font: "Vertebra" kept 5 px for both edges."""
    panel = every_level_panel(qtbot)
    panel.table.selectRow(1)
    header = panel.table.horizontalHeader()
    drawn = QFont(header.font())
    drawn.setBold(header.highlightSections())  # what a selected row does to the headers
    for col, name in enumerate(COLUMNS[:-1]):
        room = header.sectionSize(col) - QFontMetrics(drawn).horizontalAdvance(name)
        assert room >= 8, f"{name}: {room} px for both edges"
    assert panel.table.sizeHintForColumn(0) <= header.sectionSize(0)  # swatch and text fit


def test_the_compare_tables_dice_colours_are_legible() -> None:
    from vertapp.gui.model.compare_panel import _dice_color

    white = QColor(255, 255, 255)
    assert min(contrast(_dice_color(d), white) for d in (0.95, 0.8, 0.3)) >= AA
