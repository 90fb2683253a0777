"""Keyboard and selection leftovers of the round-16 audits: the brush box gives the
keyboard back, Ctrl+R shows the review list, Alt+Down/Up bring the outline into view
(MIP and axial), the toolbar's Esc button says what it will do, and a selected
radiograph part sets the part palette's vertebra."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolBar

from tests.e2e.mouse_driver import click
from tests.e2e.test_keyboard_workflow import _open, press, selected
from tests.e2e.window_driver import open_and_wait
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.annotate import editing
from vertapp.gui.window.shortcuts_sheet import shortcut_rows

pytestmark = pytest.mark.gui
ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier


def _click_box(window) -> None:  # type: ignore[no-untyped-def]
    """A click into the brush box's number, as the user does to type one."""
    edit = window.brush_radius.lineEdit()
    QTest.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(4, edit.height() // 2))
    assert QApplication.focusWidget() is edit or window.brush_radius.hasFocus()


def test_the_brush_box_gives_the_keyboard_back(window) -> None:  # type: ignore[no-untyped-def]
    """Clicked once, the box kept the keys: a label digit then changed the brush radius."""
    _open(window)
    press(Qt.Key.Key_Down, ALT)  # T12 selected
    view, box, tool = window.annot.canvas.view, window.brush_radius, window.annot.tool
    _click_box(window)
    press(Qt.Key.Key_Up)  # a step by its arrow: taken, and the keys go to the image
    assert box.value() == 5 and tool.brush_radius == 5.0
    assert QApplication.focusWidget() is view
    press(Qt.Key.Key_3)  # a label key again, not a radius of 53
    assert selected(window) == "T3" and box.value() == 5
    # a number typed still works: Enter takes it (and finishes no polygon)
    _click_box(window)
    box.selectAll()
    QTest.keyClicks(QApplication.focusWidget(), "12")
    press(Qt.Key.Key_Return)
    assert box.value() == 12 and tool.brush_radius == 12.0
    assert QApplication.focusWidget() is view
    # Esc puts the number back and leaves the selection alone (the window's Esc deselects)
    _click_box(window)
    box.selectAll()
    QTest.keyClicks(QApplication.focusWidget(), "7")
    press(Qt.Key.Key_Escape)
    assert box.value() == 12 and tool.brush_radius == 12.0
    assert QApplication.focusWidget() is view and selected(window) == "T3"


def test_ctrl_r_shows_the_review_list(window) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    flow = install_model_workflow(window)
    _open(window)
    assert flow.review_dock.isHidden()
    press(Qt.Key.Key_R, CTRL)
    assert not flow.review_dock.isHidden()
    model = {(r.command, r.keys) for r in shortcut_rows(window) if r.menu == "Model"}
    assert ("Predict and review", "Ctrl+R") in model  # on the F1 sheet


def test_the_esc_button_says_what_it_will_do(window) -> None:  # type: ignore[no-untyped-def]
    """It read "Cancel drawing" with an outline selected and nothing drawn (it deselects)."""
    _open(window)
    bar = window.findChild(QToolBar, "toolbar_tools")
    button = bar.widgetForAction(window.act_cancel)
    width = button.width()
    press(Qt.Key.Key_Down, ALT)
    assert button.text() == "Deselect" and button.isEnabled()
    assert window.act_cancel.toolTip() == "Deselect the outline (as a click on empty space) (Esc)"
    press(Qt.Key.Key_D)
    assert button.text() == "Cancel drawing" and button.isEnabled()
    assert button.width() == width  # the buttons after it stay in place
    press(Qt.Key.Key_S)
    press(Qt.Key.Key_Escape)
    assert selected(window) is None and not button.isEnabled()
    assert button.text() == "Deselect"


def _radiograph(window) -> None:  # type: ignore[no-untyped-def]
    """A film with a T10 body and a T11 pedicle, in Select mode."""
    project = Project(label_set="parts")
    rec = ImageRecord(1, "images/film.png", 80, 160, kind="radiograph")
    square = np.array([[20, 20], [60, 20], [60, 50], [20, 50]], np.float64)
    rec.instances = [
        Instance(1, "body", [square], extra={"vertapp": {"vertebra": "T10"}}),
        Instance(2, "pedicle", [square + [0, 80]], extra={"vertapp": {"vertebra": "T11"}}),
    ]
    project.add_image(rec)
    film = np.full((160, 80), 90, np.uint8)
    window.doc.set_project(project, "film", pending={1: film}, raw={1: film})
    window.doc.set_current(1)


def test_a_selected_part_sets_the_palettes_vertebra(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Clicking the T10 body left "Next: spinous process, vertebra not set"."""
    from vertapp.gui.annotate.part_palette import PartPalette
    from vertapp.xray.parts import vertebra_of

    _radiograph(window)
    window.annot.canvas.view.setFocus()
    palette = window.labels
    assert isinstance(palette, PartPalette) and palette.entry.text() == ""
    click(qtbot, window.annot.canvas, 40, 35)  # inside the body, Select mode
    assert window.annot.layer.selected == 1
    assert palette.entry.text() == "T10" and "T10" in palette.next_label.text()
    press(Qt.Key.Key_Down, ALT)  # the pedicle below: its vertebra
    assert palette.entry.text() == "T11" and palette.level == "T11"
    # the next polygon is drawn for it
    press(Qt.Key.Key_D)
    for x, y in ((64, 60), (78, 60), (78, 90)):
        click(qtbot, window.annot.canvas, x, y)
    press(Qt.Key.Key_Return)
    new = window.doc.current.instances[-1]
    assert vertebra_of(new.extra) == "T11"


@pytest.mark.slow
def test_alt_down_shows_the_outline_on_the_axial_view_and_in_the_zoomed_mip(
    qtbot, window, phantom_nifti
) -> None:
    """Alt+Down selected an outline and left the axial view (and a zoomed-in MIP) where
    they were, while a review row moves the axial view to its vertebra."""
    open_and_wait(qtbot, window, phantom_nifti)
    rec = window.doc.current
    opened = window.doc.ct[rec.id]
    w, h = rec.width, rec.height
    tops = (0.15, 0.7)
    for k, top in enumerate(tops):
        y0, y1 = top * h, (top + 0.1) * h
        box = np.array([[0.45 * w, y0], [0.55 * w, y0], [0.55 * w, y1], [0.45 * w, y1]], float)
        window.doc.project._insert_instance(
            rec.id, Instance(100 + k, ("T12", "L1")[k], [box]), None
        )
    window.doc.instances_changed.emit(rec.id)
    window.annot.set_shapes(window.doc.shapes(rec.id))  # as an undo step's redraw does
    viewbox = window.annot.canvas.viewbox
    viewbox.setRange(xRange=(0.35 * w, 0.65 * w), yRange=(0.1 * h, 0.3 * h), padding=0)
    zoomed = viewbox.viewRect()
    assert zoomed.top() <= 0.15 * h and 0.25 * h <= zoomed.bottom() < 0.7 * h, zoomed
    window.annot.canvas.view.setFocus()
    window.annot.tool.select(None)
    for top in tops:
        press(Qt.Key.Key_Down, ALT)
        if top == tops[0]:  # in sight whole already: the view stays where the user put it
            assert viewbox.viewRect() == zoomed
        x, y = 0.5 * w, (top + 0.05) * h
        assert selected(window) == ("T12", "L1")[tops.index(top)]
        assert window.axial.index == editing.slice_of_mip_point(opened.mip, opened.volume, x, y)
        seen = viewbox.viewRect()
        assert seen.top() <= top * h and (top + 0.1) * h <= seen.bottom()  # in sight whole
    assert seen.height() == pytest.approx(zoomed.height())  # panned, not zoomed out
    press(Qt.Key.Key_Up, ALT)  # T12: in sight again, the axial view back on its slice
    assert viewbox.viewRect().top() <= tops[0] * h
