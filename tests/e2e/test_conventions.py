"""Issue #19 item 8: conventions users of Slicer / ITK-SNAP / labelme expect in the window."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.e2e.mouse_driver import view_point
from tests.e2e.window_driver import open_and_wait as _open


def _wheel(widget, pos: QPoint, delta: int) -> None:  # type: ignore[no-untyped-def]
    ev = QWheelEvent(
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, ev)


def test_window_level_numbers_shown_and_editable(window) -> None:  # type: ignore[no-untyped-def]
    ax = window.axial
    ax.set_window(400, 40)
    assert (ax.width_box.value(), ax.level_box.value()) == (400, 40)
    ax.width_box.setValue(1000)
    ax.level_box.setValue(250)
    assert ax.wl == (1000.0, 250.0)
    assert ax.preset.currentText() == "Custom"


def test_every_label_button_shows_its_colour(window) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.widgets.colors import label_color

    for name, button in window.labels.buttons.items():
        pixel = button.icon().pixmap(12, 12).toImage().pixelColor(6, 6)
        assert pixel.rgb() == label_color(name).rgb(), name


def test_dropping_a_ct_file_opens_it(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(phantom_nifti))])
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # Qt delivers drop events only from a real drag (QDrag): hand it to the window's
    # filter as Qt would, after checking the window takes drops at all.
    assert window.acceptDrops()
    with qtbot.waitSignal(window.loaded, timeout=120_000):
        assert window.drops.eventFilter(window, drop)
    assert drop.isAccepted()
    assert window.doc.current is not None and window.doc.current.kind == "mip"


def test_wheel_zoom_keeps_the_point_under_the_mouse_and_shows_the_zoom(
    qtbot, window, phantom_nifti
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    canvas = window.annot.canvas
    h, w = window.annot.image_shape
    target = (w * 0.3, h * 0.7)
    pos = view_point(canvas, *target)
    before = window.zoom_label.text()
    _wheel(canvas.view.viewport(), pos, 240)
    after = canvas.viewbox.mapSceneToView(canvas.view.mapToScene(pos))
    assert abs(after.x() - target[0]) < 1.5 and abs(after.y() - target[1]) < 1.5
    assert window.zoom_label.text().startswith("Zoom ") and window.zoom_label.text() != before


def test_pgup_moves_toward_the_head_and_the_status_bar_follows(
    qtbot, window, phantom_nifti
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    ax = window.axial
    vol = ax.volume
    z0 = vol.index_to_lps((ax.index, 0, 0))[2]
    qtbot.mouseMove(ax.canvas.view.viewport(), view_point(ax.canvas, 40.0, 40.0))
    ax._report_cursor(40.0, 40.0)  # what the mouse move reports (offscreen has no hover)
    text0 = window.cursor_label.text()
    window.act_prev_slice.trigger()  # PgUp
    z1 = vol.index_to_lps((ax.index, 0, 0))[2]
    assert z1 > z0  # +S: toward the head
    assert window.cursor_label.text() != text0 and f"S {z1:.1f}" in window.cursor_label.text()
    window.act_next_slice.trigger()  # PgDown
    assert vol.index_to_lps((ax.index, 0, 0))[2] == z0
    # the slider shows the head at the top whichever way the file's slices run
    assert ax.slider.invertedAppearance() is (ax.head_step < 0)


def test_project_list_and_project_json_agree(qtbot, window, small_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.review.status import STATUS_TEXT

    _open(qtbot, window, small_project)
    saved = json.loads((small_project / "project.json").read_text())
    status = saved["images"][0]["vertapp"]["status"]
    row = window.panel.model.data(window.panel.model.index(0))
    assert row.split("\n")[1].startswith(STATUS_TEXT[status])  # name, then status below
    # a first hand edit puts the image in progress, in the file as in the list
    square = np.array([[80, 10], [110, 10], [110, 40], [80, 40]], float)
    window.annot.tool.polygon_drawn.emit(square)
    assert window.doc.current.status == "in_progress"
    assert window.save(tmp_path / "saved", wait=True)
    saved = json.loads((tmp_path / "saved" / "project.json").read_text())
    assert saved["images"][0]["vertapp"]["status"] == "in_progress"
    row = window.panel.model.data(window.panel.model.index(0))
    assert row.split("\n")[1].startswith("in progress")
    window.doc.stack.undo()  # the status change undoes with the edit
    assert window.doc.current.status == status
