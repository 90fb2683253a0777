"""The pair window after the r14 audit: the status-bar summary follows hand corrections,
films that cannot be paired (different sizes) are said in a box and in place of the
images with the actions that cannot work greyed out, the fused image leaves the warned
vertebrae out unless asked (and says so), and the reason column is in view at 1600 px."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pair_view import TWISTED, align, pair_window, torsioned_inputs

from vertapp.errors import InputError
from vertapp.xray.align import SAME_SIZE
from vertapp.xray.pair import PairInputs


@pytest.fixture(scope="module")
def inputs() -> PairInputs:
    return torsioned_inputs()


def test_the_summary_follows_a_hand_correction(qtbot: Any, inputs: PairInputs) -> None:
    from PySide6.QtCore import Qt

    with pair_window(qtbot, inputs) as win:
        align(qtbot, win)
        before = win.statusBar().currentMessage()
        assert before.startswith("8 vertebrae: 8 aligned") and "1 not in the fused image" in before
        win.table.choose("L4")
        qtbot.keyClick(win, Qt.Key.Key_Right)
        after = win.statusBar().currentMessage()
        assert after.startswith("8 vertebrae: 7 aligned, 1 by hand"), after
        win.table.choose(TWISTED)  # placed by hand: fused now, its torsion kept beside it
        qtbot.keyClick(win, Qt.Key.Key_Left)
        assert "not in the fused image" not in win.statusBar().currentMessage()
        assert "keep their low-dose pixels" not in win.notes.text()


def test_the_warned_vertebra_is_left_out_of_the_fused_image_unless_asked(
    qtbot: Any, inputs: PairInputs
) -> None:
    with pair_window(qtbot, inputs) as win:
        align(qtbot, win)
        assert f"Fused image: {TWISTED} (possible torsion) keep" in win.notes.text()
        row = next(r for r in win.state.rows() if r.level == TWISTED)
        assert row.not_fused == "possible torsion"
        kept = win.state.fused.copy()
        win.act_fuse_warned.trigger()
        assert win.act_fuse_warned.isChecked() and win.state.fuse_warned
        assert not np.allclose(win.state.fused, kept)
        assert "keep their low-dose pixels" not in win.notes.text()


def test_films_of_different_sizes_are_said_and_cannot_be_aligned_again(qtbot: Any) -> None:
    message = f"the low-dose image is 755x2125 pixels and the high-dose one 1078x2364: {SAME_SIZE}"

    def refused():  # type: ignore[no-untyped-def]
        raise InputError(message)
        yield  # a job

    told: list[tuple[str, str]] = []
    with pair_window(qtbot, None) as win:  # type: ignore[arg-type]
        win.factory = refused
        win.tell = lambda title, text: told.append((title, text))
        win.start()
        qtbot.waitUntil(lambda: not win.busy(), timeout=10000)
        assert told and "755x2125" in told[0][1] and "cannot be paired" in told[0][1]
        assert win.views.currentWidget() is win.failure and "755x2125" in win.failure.text()
        assert not win.act_align.isEnabled() and "cannot be paired" in win.act_align.toolTip()
        assert not win.act_swap.isEnabled() and not win.act_export.isEnabled()
        assert not win.act_fit.isEnabled()


def test_the_reason_column_is_in_view_at_1600(qtbot: Any, inputs: PairInputs) -> None:
    from vertapp.gui.xray.pair_table import COLUMNS, REASON_PX

    with pair_window(qtbot, inputs) as win:
        win.resize(1600, 1000)
        align(qtbot, win)
        qtbot.wait(50)
        table = win.table
        reason = COLUMNS.index("Reason")
        assert table.horizontalScrollBar().maximum() == 0
        start = table.columnViewportPosition(reason)
        assert start > 0 and start + REASON_PX // 2 <= table.viewport().width()
