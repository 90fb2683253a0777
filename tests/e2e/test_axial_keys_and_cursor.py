"""The axial view under the hand (a radiologist's walk-through): its slice keys, and the
linked cursor of a click on a dark MIP pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from tests.e2e.mouse_driver import click
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.gui.views.axial_view import KEYS_TITLE, PAGE_SLICES
from vertapp.gui.window.shortcuts_sheet import shortcut_rows
from vertapp.preprocess.result import SHOWN_BONE_HU

pytestmark = pytest.mark.gui
PORTABLE = QKeySequence.SequenceFormat.PortableText


def _focus_the_axial_image(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    ax = window.axial
    (x, y) = (ax.volume.shape[2] * ax.volume.spacing[0] / 2, ax.volume.shape[1] / 3)
    click(qtbot, ax.canvas, x, y)  # a click on the image gives it the keyboard
    assert QApplication.focusWidget() is ax.canvas.view


def test_arrow_and_page_keys_step_slices_in_the_axial_view(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    ax = window.axial
    _focus_the_axial_image(qtbot, window)
    ax.set_slice(ax.volume.shape[0] // 2)
    start, head = ax.index, ax.head_step
    qtbot.keyClick(ax.canvas.view, Qt.Key.Key_Up)
    assert ax.index == start + head  # toward the head, as the wheel
    qtbot.keyClick(ax.canvas.view, Qt.Key.Key_Down)
    qtbot.keyClick(ax.canvas.view, Qt.Key.Key_Down)
    assert ax.index == start - head
    qtbot.keyClick(ax.canvas.view, Qt.Key.Key_PageUp)  # a window shortcut too: one slice
    assert ax.index == start - head + PAGE_SLICES * head
    qtbot.keyClick(ax.canvas.view, Qt.Key.Key_PageDown)
    assert ax.index == start - head
    # Ctrl+Up stays the previous image, never a slice
    qtbot.keyClick(ax.canvas.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert ax.index == start - head
    # the slider steps the same way
    ax.slider.setFocus()
    qtbot.keyClick(ax.slider, Qt.Key.Key_Up)
    assert ax.index == start
    qtbot.keyClick(ax.slider, Qt.Key.Key_PageDown)
    assert ax.index == start - PAGE_SLICES * head
    # the W/L boxes keep their arrow keys: Up raises the width, not the slice
    width = ax.width_box.value()
    ax.width_box.setFocus()
    qtbot.keyClick(ax.width_box, Qt.Key.Key_Up)
    assert ax.index == start - PAGE_SLICES * head and ax.width_box.value() > width


def test_page_keys_elsewhere_step_one_slice(qtbot, window, phantom_nifti) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, phantom_nifti)
    ax = window.axial
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    window.annot.canvas.view.setFocus()  # the MIP
    start = ax.index
    qtbot.keyClick(window.annot.canvas.view, Qt.Key.Key_PageUp)  # View > Slice up
    assert ax.index == start + ax.head_step
    qtbot.keyClick(window.annot.canvas.view, Qt.Key.Key_Up)  # the axial view's key only
    assert ax.index == start + ax.head_step


def test_the_shortcuts_sheet_lists_the_axial_keys(window) -> None:  # type: ignore[no-untyped-def]
    rows = {(r.menu, r.keys): r.command for r in shortcut_rows(window, fmt=PORTABLE)}
    assert rows[(KEYS_TITLE, "Up")] == "Slice up (toward the head)"
    assert rows[(KEYS_TITLE, "Down")] == "Slice down (toward the feet)"
    assert rows[(KEYS_TITLE, "PgUp")] == f"{PAGE_SLICES} slices up"
    assert rows[(KEYS_TITLE, "PgDown")] == f"{PAGE_SLICES} slices down"
    assert rows[("View", "Ctrl+Up")] == "Previous image"  # unchanged
    text = window.help.show_shortcuts().text()
    assert KEYS_TITLE in text and f"{PAGE_SLICES} slices up" in text


def test_a_click_on_a_dark_mip_pixel_puts_the_cursor_on_the_canal_track(
    qtbot, window, phantom_nifti
) -> None:  # type: ignore[no-untyped-def]
    """The brightest voxel of a dark pixel's ray is noise (the slab's edge, in muscle):
    the axial cursor goes to the depth of the canal on that slice instead."""
    _open(qtbot, window, phantom_nifti)
    opened = window.doc.ct[window.doc.current_id]
    mip, vol = opened.mip, opened.volume
    r = mip.mip.shape[0] // 2
    c = int(np.flatnonzero(mip.mip[r] < SHOWN_BONE_HU)[0])  # black, in front of the spine
    click(qtbot, window.annot.canvas, c + 0.5, r + 0.5)
    k = int(round(mip.mip_to_source_index(r, c)[0]))
    assert window.axial.index == k
    mx, _my = window.axial.marker_xy()
    track_x = mip.mip_to_lps(r, c, depth="track")  # the canal's x on that slice
    _k, _j, i = vol.lps_to_index(tuple(track_x))
    sx = vol.spacing[0]
    assert abs(mx - i * sx) < sx
    # the canal circle of the slice is under the marker's left-right position
    circles = [cc for cc in window.axial.circles.get(k, []) if cc.on_track]
    if circles:
        cx = vol.lps_to_index((circles[0].x_mm, circles[0].y_mm, circles[0].z_mm))[2] * sx
        assert abs(mx - cx) < circles[0].r_mm
