"""Axial view: slice scrolling, window/level, canal overlay, cursor readout."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from vertapp.gui.views.axial_view import WINDOW_PRESETS, AxialView, CanalCircle
from vertapp.io.volume import Volume


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    arr = np.arange(10 * 20 * 30, dtype=np.int16).reshape(10, 20, 30)
    vol = Volume(arr, spacing=(0.5, 0.8, 2.0), origin=(-10.0, 5.0, 100.0))
    v = AxialView()
    qtbot.addWidget(v)
    v.resize(500, 500)
    v.show()
    v.set_volume(vol)
    return v


def test_opens_in_the_middle_and_slider_follows(view) -> None:  # type: ignore[no-untyped-def]
    assert view.index == 5
    view.set_slice(8)
    assert view.slider.value() == 8
    view.slider.setValue(2)
    assert view.index == 2
    view.set_slice(99)
    assert view.index == 9  # clamped


def test_wheel_scrolls_slices(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    vp = view.canvas.view.viewport()
    pos = QPointF(250, 250)
    ev = QWheelEvent(
        pos,
        QPointF(vp.mapToGlobal(QPoint(250, 250))),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, ev)
    assert view.index == 4  # wheel down: toward the feet (index runs toward +S, the head)


def test_presets_set_levels(view) -> None:  # type: ignore[no-untyped-def]
    view.preset.setCurrentText("Lung")
    assert view.wl == WINDOW_PRESETS["Lung"]
    lo, hi = view.canvas.image_item.getLevels()
    assert (lo, hi) == (-1350.0, 150.0)
    view.set_window(100, 10)
    assert view.preset.currentText() == "Custom"


def test_cursor_reports_lps_and_hu(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.cursor_info) as info:
        view._report_cursor(3 * 0.5 + 0.1, 4 * 0.8 + 0.1)  # voxel i=3, j=4 in mm scene units
    text = info.args[0]
    hu = int(view.volume.array[5, 4, 3])
    assert f"HU {hu}" in text
    assert "L -8.5" in text and "P 8.2" in text and "S 110.0" in text


def test_canal_circle_drawn_only_on_its_slice(view) -> None:  # type: ignore[no-untyped-def]
    z5 = float(view.volume.index_to_lps((5, 0, 0))[2])
    view.set_canal([CanalCircle(z5, -5.0, 10.0, 3.0, 1, True)], spine_cluster=1)
    assert len(view.visible_circles()) == 1
    assert view.warning.text() == "canal measured"
    rect = view.visible_circles()[0].rect()
    assert rect.width() == pytest.approx(6.0)
    assert rect.center().x() == pytest.approx(5.0)  # (x_mm - origin) in scene mm
    view.set_slice(6)
    assert view.visible_circles() == []
    assert "no canal circle" in view.warning.text()


def test_a_bridged_track_point_is_dashed_and_said(view) -> None:  # type: ignore[no-untyped-def]
    z = [float(view.volume.index_to_lps((k, 0, 0))[2]) for k in range(10)]
    view.set_canal(
        [
            CanalCircle(z[4], -5.0, 10.0, 3.0, 1, True),
            CanalCircle(z[4], -5.0, 10.0, 3.0, 1, True, bridged=True),  # measured wins
            CanalCircle(z[5], -5.0, 10.0, 3.0, 1, True, bridged=True),
        ],
        spine_cluster=1,
    )
    view.set_slice(4)
    (item,) = view.visible_circles()
    assert item.pen().style() == Qt.PenStyle.SolidLine
    view.set_slice(5)
    (item,) = view.visible_circles()
    assert item.pen().style() == Qt.PenStyle.DashLine
    assert view.warning.text() == "canal bridged (no circle found here)"


def test_pgup_goes_toward_the_head_whichever_way_the_slices_run(qtbot) -> None:  # type: ignore[no-untyped-def]
    arr = np.zeros((10, 20, 30), dtype=np.int16)
    for direction, head_step in ((np.eye(3), 1), (np.diag([1.0, 1.0, -1.0]), -1)):
        v = AxialView()
        qtbot.addWidget(v)
        v.set_volume(Volume(arr, spacing=(1.0, 1.0, 2.0), direction=direction))
        z0 = v.volume.index_to_lps((v.index, 0, 0))[2]
        v.step_toward_head(1)
        assert v.volume.index_to_lps((v.index, 0, 0))[2] == z0 + 2.0  # +S: toward the head
        assert v.head_step == head_step
        assert v.slider.invertedAppearance() is (head_step < 0)  # the head at the top


def test_a_bridged_slice_is_not_said_in_the_warning_red(view) -> None:  # type: ignore[no-untyped-def]
    """Bridged is normal at every disc level: only a low coverage is said in red."""
    from vertapp.gui.widgets.colors import NO_CIRCLE

    z = [float(view.volume.index_to_lps((k, 0, 0))[2]) for k in range(10)]
    view.set_canal(
        [
            CanalCircle(z[4], -5.0, 10.0, 3.0, 1, True),
            CanalCircle(z[5], -5.0, 10.0, 3.0, 1, True, bridged=True),
        ],
        spine_cluster=1,
    )
    red = NO_CIRCLE.name()
    view.set_slice(5)
    assert view.warning.text() == "canal bridged (no circle found here)"
    assert red not in view.warning.styleSheet()
    view.set_slice(7)  # off the track: not an error either
    assert red not in view.warning.styleSheet()
    view.set_coverage("canal circle found on 12 % of the 1 mm working slices", True)
    assert red in view.coverage.styleSheet()  # the real warning keeps its red


def _laid_out(view) -> None:  # type: ignore[no-untyped-def]
    QApplication.processEvents()
    view.layout().activate()


@pytest.mark.parametrize("width", [330, 260])
def test_a_narrow_header_wraps_and_never_cuts_the_slice_number(qtbot, width) -> None:  # type: ignore[no-untyped-def]
    """In the axial dock beside the review panel (1280 px): "Axial 111/221  z = ..."
    whole, with W/L and the preset on a row of their own."""
    v = AxialView()
    qtbot.addWidget(v)
    v.resize(width, 500)
    v.show()
    v.set_volume(Volume(np.zeros((221, 8, 8), np.int16), spacing=(1.0, 1.0, 1.0)))
    v.set_slice(110)
    _laid_out(v)
    text = v.info.text()
    assert text.startswith("Axial 111/221") and "z = " in text
    fm = v.info.fontMetrics()
    assert v.info.width() >= fm.horizontalAdvance(text) or v.info.height() >= 2 * fm.height()
    assert v.levels_bar.geometry().top() >= v.info.geometry().bottom()  # W/L below
    v.resize(700, 500)  # room again: one row
    _laid_out(v)
    assert not v.header_wrapped
    assert v.levels_bar.geometry().top() < v.info.geometry().bottom()
    assert v.info.width() >= fm.horizontalAdvance(text)
