"""The pair view (`vertapp.gui.xray`) on a synthetic low-/high-dose pair with a torsioned
vertebra: the table shows the core's values, the torsion warning is visible, a nudge moves
that vertebra only and undoes, export writes its outputs, and cancelling mid-alignment
leaves the window usable."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pair_view import TWISTED, align, pair_window, torsioned_inputs

from tests.unit.xray.zoi_pairs import pair
from vertapp.jobs import Progress, run_job
from vertapp.xray.align import align_job
from vertapp.xray.alignment_file import alignment_record
from vertapp.xray.pair import PairInputs, pair_job


@pytest.fixture(scope="module")
def inputs() -> PairInputs:
    return torsioned_inputs()


@pytest.fixture
def view(qtbot, inputs: PairInputs):  # type: ignore[no-untyped-def]
    with pair_window(qtbot, inputs) as win:
        yield win


def _cell(win, level: str, column: str) -> str:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.pair_table import COLUMNS

    return str(win.table.item(win.table.levels.index(level), COLUMNS.index(column)).text())


def test_table_shows_the_core_values_and_the_torsion_warning(qtbot, view, inputs) -> None:  # type: ignore[no-untyped-def]
    align(qtbot, view)
    core = alignment_record(
        run_job(align_job(inputs.low, inputs.high, inputs.low_zois, inputs.high_zois))
    )["vertebrae"]
    assert view.table.levels == [v["level"] for v in core]
    for v in core:
        assert float(_cell(view, v["level"], "dx px")) == pytest.approx(v["tx_px"], abs=0.051)
        assert float(_cell(view, v["level"], "dy mm")) == pytest.approx(v["ty_px"], abs=0.006)
        assert float(_cell(view, v["level"], "Rot °")) == pytest.approx(
            v["rotation_deg"], abs=0.006
        )
        assert float(_cell(view, v["level"], "Score")) == pytest.approx(v["score"], abs=0.006)
        assert _cell(view, v["level"], "Status") == v["status"]
    row = view.table.levels.index(TWISTED)
    reason = view.table.item(row, 9)
    assert "possible torsion" in reason.text() and reason.toolTip() == reason.text()
    assert reason.background().color().name() != view.table.item(0, 9).background().color().name()
    assert any("torsion" in line for line in view.notes.text().splitlines())


def test_the_films_read_doubts_are_listed_under_the_table(qtbot, inputs) -> None:  # type: ignore[no-untyped-def]
    """They were logged only (under the file's name); now the first notes, by side."""
    from dataclasses import replace

    from vertapp.xray.images import Film

    doubt = "file holds 3 frames; the first one was read"
    film = Film(inputs.low, inputs.low, {}, (doubt,))
    with pair_window(qtbot, replace(inputs, low_film=film)) as win:
        align(qtbot, win)
        lines = win.notes.text().splitlines()
    assert lines[0] == f"low-dose film: {doubt}"
    assert any("torsion" in line for line in lines[1:])
    assert not any(doubt in w for w in win.state.alignment.warnings)  # not alignment.json's


def test_clicking_a_row_zooms_all_views_to_that_vertebra(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    align(qtbot, view)
    view.table.choose("L1")
    (x0, x1), (y0, y1) = view.images.fused_pane.box.viewRange()
    bx0, by0, bx1, by1 = view.state.box("L1")
    assert x0 < bx0 and bx1 < x1 and y0 < by0 and by1 < y1
    assert (x1 - x0) < 0.75 * view.state.inputs.low.shape[1]  # zoomed in, not the whole image
    # linked views: the same range, up to the float rounding of pyqtgraph's link
    np.testing.assert_allclose(
        view.images.low_pane.box.viewRange(), view.images.fused_pane.box.viewRange(), atol=1e-6
    )


def test_nudge_changes_that_vertebra_only_and_undoes(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    align(qtbot, view)
    view.table.choose("L1")
    rows_before = view.state.rows()
    fused_before = view.state.fused.copy()
    check_before = view.images.check8.copy()
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_BracketLeft)
    after = {r.level: r for r in view.state.rows()}
    old = {r.level: r for r in rows_before}
    assert after["L1"].dx_px == pytest.approx(old["L1"].dx_px + 3.0)
    assert after["L1"].rotation_deg == pytest.approx(old["L1"].rotation_deg + 0.5)
    assert all(after[lv] == old[lv] for lv in old if lv != "L1")
    assert float(_cell(view, "L1", "dx px")) == pytest.approx(after["L1"].dx_px, abs=0.051)
    assert "by hand" in _cell(view, "L1", "Status")
    changed = np.argwhere(view.images.check8 != check_before)
    assert changed.size
    x0, y0, x1, y1 = view.state.box("L1")
    assert changed[:, 0].min() >= y0 - 60 and changed[:, 0].max() <= y1 + 60  # near L1 only
    assert view.stack.count() == 1  # steps on one vertebra merge: one undo
    view.stack.undo()
    np.testing.assert_allclose(view.state.fused, fused_before, atol=1e-4)
    assert view.state.rows() == rows_before
    assert "by hand" not in _cell(view, "L1", "Status")


def test_export_writes_the_three_outputs(qtbot, view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    align(qtbot, view)
    view.export_to(tmp_path / "out")
    qtbot.waitUntil(lambda: not view.busy(), timeout=30000)
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {
        "fused.png",
        "fused.tif",
        "check.png",
        "alignment.json",
        "zois_low",
        "zois_high",
    }
    record = json.loads((out / "alignment.json").read_text())
    assert [v["level"] for v in record["vertebrae"]] == view.table.levels
    assert len(json.loads((out / "zois_low" / "zois.json").read_text())["zois"]) == 8
    assert (out / "zois_high" / f"zoi_{TWISTED}.png").is_file()


def test_cancel_mid_alignment_leaves_the_window_usable(qtbot, inputs) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.xray.pair_window import PairWindow

    def slowed() -> Iterator[Progress]:
        job = pair_job(inputs)
        for event in job:  # each vertebra takes a while, as on a whole spine
            time.sleep(0.3)
            yield event
        return None

    win = PairWindow(slowed)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.progress.bar.valueChanged, timeout=30000):
        win.start()
    win.cancel()
    qtbot.waitUntil(lambda: not win.busy(), timeout=30000)
    assert win.worker.was_cancelled and win.state is None
    assert "Cancelled" in win.statusBar().currentMessage()
    assert win.act_align.isEnabled() and not win.progress.isVisible()
    win.factory = lambda: pair_job(inputs)
    align(qtbot, win)
    assert len(win.table.levels) == 8


def test_file_menu_opens_a_pair_from_files_and_aligns_it(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """File > Open low-/high-dose pair… with two 16-bit PNGs and their COCO files."""
    from tests.unit.xray.test_cli_xray import _coco, _png
    from vertapp.gui.xray import open_pair as module

    p = pair(0, "T10", "L5")
    fields = {
        "low": _png(tmp_path / "low.png", p.low.array),
        "high": _png(tmp_path / "high.png", p.high.array),
        "low_zois": _coco(tmp_path / "low.json", p.low_parts, p.low.shape, "low.png"),
        "high_zois": _coco(tmp_path / "high.json", p.high_parts, p.high.shape, "high.png"),
    }

    def fill_and_accept(dialog) -> int:  # type: ignore[no-untyped-def]
        for name, path in fields.items():
            dialog.edits[name].setText(str(path))
        return int(module.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(module.OpenPairDialog, "exec", fill_and_accept)
    file_menu = window.menuBar().actions()[0].menu()
    entry = next(a for a in file_menu.actions() if "pair" in a.text())
    entry.trigger()
    pair_view = next(w for w in window.findChildren(module.PairWindow))
    qtbot.waitUntil(lambda: pair_view.state is not None and not pair_view.busy(), timeout=60000)
    assert pair_view.table.levels == list(p.levels)
    assert pair_view.state.inputs.low.dtype == np.uint16
    pair_view.close()


def test_ctrl_drag_on_the_fused_view_moves_the_chosen_vertebra(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPointF, Qt

    align(qtbot, view)
    view.table.choose("T12")
    before = {r.level: r for r in view.state.rows()}
    box = view.images.fused_pane.box
    start = box.mapViewToScene(QPointF(100, 100))
    end = box.mapViewToScene(QPointF(104, 98))

    class Drag:  # what pyqtgraph hands a ViewBox for one step of a drag
        def modifiers(self):  # type: ignore[no-untyped-def]
            return Qt.KeyboardModifier.ControlModifier

        def button(self):  # type: ignore[no-untyped-def]
            return Qt.MouseButton.LeftButton

        def scenePos(self):  # type: ignore[no-untyped-def]  # noqa: N802
            return end

        def lastScenePos(self):  # type: ignore[no-untyped-def]  # noqa: N802
            return start

        def accept(self) -> None:
            pass

    view_range = box.viewRange()
    box.mouseDragEvent(Drag())
    after = {r.level: r for r in view.state.rows()}
    assert after["T12"].dx_px == pytest.approx(before["T12"].dx_px + 4, abs=1e-6)
    assert after["T12"].dy_px == pytest.approx(before["T12"].dy_px - 2, abs=1e-6)
    assert all(after[lv] == before[lv] for lv in before if lv != "T12")
    assert box.viewRange() == view_range  # the drag moved the vertebra, not the view


def test_window_deleted_mid_alignment_ends_its_job_cleanly(qtbot, inputs) -> None:  # type: ignore[no-untyped-def]
    """The main window closed with a pair still aligning: the job is cancelled, its thread
    ends (a QThread destroyed while running would abort the process)."""
    from vertapp.gui.xray import pair_window

    def slowed() -> Iterator[Progress]:
        for event in pair_job(inputs):
            time.sleep(0.3)
            yield event
        return None

    win = pair_window.PairWindow(slowed)
    win.show()
    with qtbot.waitSignal(win.progress.bar.valueChanged, timeout=30000):
        win.start()
    worker = win.worker
    win.deleteLater()
    qtbot.waitUntil(lambda: not pair_window._RUNNING, timeout=30000)
    assert worker.was_cancelled and worker.result is None
