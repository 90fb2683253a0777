"""Open a CT phantom, draw / label / edit a polygon with the mouse, undo, save, reopen."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mouse_driver import click, drag
from PySide6.QtCore import Qt

from tests.e2e.window_driver import open_and_wait as _open

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _only_instance(window):  # type: ignore[no-untyped-def]
    rec = window.doc.current
    assert rec is not None
    assert len(rec.instances) == 1
    return rec.instances[0]


def test_open_draw_label_edit_undo_save_reopen(qtbot, window, phantom_nifti, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    rec = window.doc.current
    assert rec is not None and rec.kind == "mip"
    assert window.axial.volume is not None  # the axial view shows the CT
    canvas = window.annot.canvas
    h, w = rec.height, rec.width
    square = [(0.3 * w, 0.3 * h), (0.6 * w, 0.3 * h), (0.6 * w, 0.5 * h), (0.3 * w, 0.5 * h)]

    # draw: four clicks, then a click on the first vertex closes the polygon
    window.act_draw.trigger()
    for x, y in square:
        click(qtbot, canvas, x, y)
    click(qtbot, canvas, *square[0])
    inst = _only_instance(window)
    got = inst.polygons[0]
    assert got.shape == (4, 2)
    np.testing.assert_allclose(got, np.array(square), atol=1.0)  # one screen pixel
    assert window.isWindowModified()

    # label it L1 with its key (Alt+1) in Select mode (in Draw mode the key names the
    # next outline and leaves the one just drawn alone)
    window.act_select.trigger()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert _only_instance(window).label == "L1"
    assert window.labels.current == "L1"

    # drag vertex 2 in select mode: one drag, one undo step
    steps_before = window.doc.stack.count()
    old = tuple(square[2])
    new = (0.7 * w, 0.6 * h)
    drag(qtbot, canvas, old, new)
    assert window.doc.stack.count() == steps_before + 1
    np.testing.assert_allclose(_only_instance(window).polygons[0][2], new, atol=1.0)

    window.act_undo.trigger()
    np.testing.assert_allclose(_only_instance(window).polygons[0][2], old, atol=1.0)
    window.act_redo.trigger()
    moved = _only_instance(window).polygons[0].copy()
    np.testing.assert_allclose(moved[2], new, atol=1.0)

    # save, reopen the folder, find the same COCO
    folder = tmp_path / "project"
    assert window.save(folder)
    assert not window.isWindowModified()
    first = json.loads((folder / "project.json").read_text())
    _open(qtbot, window, folder)
    # the CT behind the saved MIP is read again, with the saved canal circles
    assert window.axial.volume is not None
    assert window.axial.circles
    assert window.annot.slice_line.isVisible()
    again = _only_instance(window)
    assert again.label == "L1"
    np.testing.assert_allclose(again.polygons[0], moved)
    assert window.export(tmp_path / "again.json", "coco")
    window.wait_for_export()
    second = json.loads((tmp_path / "again.json").read_text())
    assert second["annotations"] == first["annotations"]
    assert second["categories"] == first["categories"]
    assert [i["file_name"] for i in second["images"]] == [i["file_name"] for i in first["images"]]
    from pycocotools.coco import COCO

    coco = COCO(str(folder / "project.json"))
    (ann,) = coco.loadAnns(coco.getAnnIds())
    assert coco.loadCats(ann["category_id"])[0]["name"] == "L1"


def test_click_on_mip_moves_the_axial_slice(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    opened = window.doc.ct[window.doc.current_id]
    canvas = window.annot.canvas
    rec = window.doc.current
    for frac in (0.25, 0.75):
        x, y = 0.05 * rec.width, frac * rec.height  # empty space left of the spine
        click(qtbot, canvas, x, y)
        expected = round(float(opened.mip.mip_to_source_index(y - 0.5, x - 0.5)[0]))
        assert window.axial.index == expected
        # and the slice line on the MIP sits on the row of that slice (within a slice)
        row = window.annot.slice_line.value()
        assert abs(row - y) <= opened.volume.spacing[2] / opened.mip.grid.spacing + 1
    low = window.axial.index
    click(qtbot, canvas, 0.05 * rec.width, 0.25 * rec.height)
    assert window.axial.index != low  # head up: higher on the MIP is another (superior) slice
