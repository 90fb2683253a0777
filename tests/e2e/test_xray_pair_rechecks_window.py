"""The pair window after the r16 audit: a hand correction (and its undo) runs the check
across vertebrae again, so the neighbours' rows and the notes under the table say what the
placements are now. A low-dose L3 outline drawn on L4 aligns L3 onto L4 (L3 failed, L4
"overlapped: L3 lands on it"); nudging L3 one pixel left L4's warning gone although L3
still lay on it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pair_view import align, pair_window

from tests.unit.xray.zoi_pairs import pair, zoi_sets
from vertapp.xray.pair import PairInputs
from vertapp.xray.similarity import apply_matrix
from vertapp.xray.zoi import zois_from_masks

LANDS = "L3 lands on it"


@pytest.fixture(scope="module")
def inputs() -> PairInputs:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p)
    masks = {level: z.mask for level, z in low.items()}
    masks["L3"] = masks["L4"]
    return PairInputs(p.low.array, p.high.array, zois_from_masks(masks), high, p.low.pixel_spacing)


def _cell(win: Any, level: str, column: str) -> str:
    from vertapp.gui.xray.pair_table import COLUMNS

    return str(win.table.item(win.table.levels.index(level), COLUMNS.index(column)).text())


def _to_its_place(win: Any) -> tuple[float, float]:
    """The shift that takes L3 from where it lands now to where the pair's motion puts it."""
    v = win.state.record("L3")
    centre = np.array(v.center)
    right = apply_matrix(pair(0, "T10", "L5").motions["L3"].matrix, centre)[0]
    dx, dy = right - apply_matrix(v.matrix, centre)[0]
    return float(dx), float(dy)


def test_the_neighbours_row_follows_a_correction_and_its_undo(
    qtbot: Any, inputs: PairInputs
) -> None:
    from PySide6.QtCore import Qt

    with pair_window(qtbot, inputs) as win:
        align(qtbot, win)
        assert LANDS in _cell(win, "L4", "Reason") and _cell(win, "L3", "Status") == "failed"
        win.table.choose("L3")
        qtbot.keyClick(win, Qt.Key.Key_Right)  # one pixel: still on L4
        assert LANDS in _cell(win, "L4", "Reason")
        assert f"L4: overlapped: {LANDS}" in win.notes.text()
        win.drag(*_to_its_place(win))  # Ctrl + drag: put right
        assert LANDS not in _cell(win, "L4", "Reason")
        assert "inconsistent" not in win.notes.text() and "overlapped" not in win.notes.text()
        assert _cell(win, "L3", "Status") == "by hand"
        assert "L3: corrected by hand" not in win.notes.text()  # the table's word, not a note
        win.act_undo.trigger()  # the nudge and the drag of one vertebra: one undo step
        assert LANDS in _cell(win, "L4", "Reason") and _cell(win, "L3", "Status") == "failed"
        assert f"L4: overlapped: {LANDS}" in win.notes.text()
        assert win.statusBar().currentMessage().startswith("8 vertebrae: 7 aligned, 1 failed")
