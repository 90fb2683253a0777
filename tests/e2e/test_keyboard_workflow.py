"""Labelling and reviewing a CT MIP from the keyboard alone, as a radiologist used to
ITK-SNAP / CVAT works (audit round 16): keys pressed on the window, not actions triggered.

An outline could only be selected with the mouse (no key stepped through them, so a label
key, Del, A or R could act on a chosen one only after a click), and Esc deselected nothing
in Select mode (its action was enabled while drawing only).
"""

from __future__ import annotations

import numpy as np
import pytest
from mouse_driver import click
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.window.shortcuts_sheet import shortcut_rows

pytestmark = pytest.mark.gui
ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier
H, W = 120, 64


def _box(key: int, label: str, top: float, source: str) -> Instance:
    square = np.array([[16, top], [48, top], [48, top + 16], [16, top + 16]], np.float64)
    score = 0.95 if source == "predicted" else None
    return Instance(key, label, [square], source=source, score=score, model_id="m@e1")


def _open(window, source: str = "manual") -> None:  # type: ignore[no-untyped-def]
    """One MIP whose outlines were made bottom first: L2 (y 70), T12 (y 4), L1 (y 37)."""
    project = Project(label_set="vertebrae")
    rec = ImageRecord(1, "images/spine.png", W, H, patient_key="p1")
    rec.instances = [
        _box(1, "L2", 70, source),
        _box(2, "T12", 4, source),
        _box(3, "L1", 37, source),
    ]
    project.add_image(rec)
    window.doc.set_project(project, "keys", pending={1: np.full((H, W), 30, np.uint8)})
    window.doc.set_current(1)
    window.annot.canvas.view.setFocus()


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key as the user types it: to the widget with the keyboard focus."""
    focus = QApplication.focusWidget()
    assert focus is not None
    QTest.keyClick(focus, key, modifier)


def selected(window) -> str | None:  # type: ignore[no-untyped-def]
    key = window.annot.layer.selected
    return None if key is None else window.doc.project.instance(key).label


def status(window) -> str:  # type: ignore[no-untyped-def]
    return window.statusBar().currentMessage()


def test_alt_down_and_up_step_through_the_outlines_head_to_feet(window) -> None:  # type: ignore[no-untyped-def]
    _open(window)
    window.annot.tool.select(None)
    press(Qt.Key.Key_Down, ALT)
    assert selected(window) == "T12"  # the top one, though drawn second
    assert status(window) == "T12 outline selected"
    press(Qt.Key.Key_Down, ALT)
    assert selected(window) == "L1"
    press(Qt.Key.Key_Down, ALT)
    press(Qt.Key.Key_Down, ALT)  # at the bottom: it stays, and says so
    assert selected(window) == "L2"
    assert status(window) == "No outline below this one"
    press(Qt.Key.Key_Up, ALT)
    assert selected(window) == "L1"
    # the keys then act on it: a label key relabels it, Del deletes it, Ctrl+Z undoes
    press(Qt.Key.Key_3, ALT)
    assert [i.label for i in window.doc.current.instances] == ["L2", "T12", "L3"]
    press(Qt.Key.Key_Up, ALT)
    press(Qt.Key.Key_Delete)
    assert [i.label for i in window.doc.current.instances] == ["L2", "L3"]
    press(Qt.Key.Key_Z, CTRL)
    assert [i.label for i in window.doc.current.instances] == ["L2", "T12", "L3"]


def test_esc_deselects_in_select_mode(window) -> None:  # type: ignore[no-untyped-def]
    _open(window)
    press(Qt.Key.Key_Down, ALT)
    assert selected(window) is not None and window.act_cancel.isEnabled()
    press(Qt.Key.Key_Escape)
    assert selected(window) is None
    press(Qt.Key.Key_Up, ALT)  # with none selected, Alt+Up starts at the bottom
    assert selected(window) == "L2"


def test_alt_down_while_drawing_keeps_the_clicks_made(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    _open(window)
    press(Qt.Key.Key_D)
    assert window.act_draw.isChecked()
    click(qtbot, window.annot.canvas, 5, 100)
    window.annot.canvas.view.setFocus()
    before = window.annot.layer.selected
    press(Qt.Key.Key_Down, ALT)
    assert len(window.annot.tool.draft) == 1 and window.annot.layer.selected == before
    assert "Finish the polygon first" in status(window)
    press(Qt.Key.Key_Escape)  # Esc drops the draft first, then the selection
    assert not window.annot.tool.draft


def test_a_review_by_keys_alone(window) -> None:  # type: ignore[no-untyped-def]
    """Alt+Down picks the prediction, the review list follows, A / R decide it."""
    from vertapp.gui.model.workflow import install_model_workflow

    flow = install_model_workflow(window)
    _open(window, source="predicted")
    panel = flow.review_panel
    press(Qt.Key.Key_Escape)
    assert panel.selected_ids() == []
    press(Qt.Key.Key_Down, ALT)
    assert panel.selected_ids() == [2]  # T12, in the list too
    press(Qt.Key.Key_A)
    assert window.doc.project.instance(2).reviewed
    press(Qt.Key.Key_Down, ALT)
    press(Qt.Key.Key_Down, ALT)
    assert selected(window) == "L2"
    press(Qt.Key.Key_R)
    assert [i.label for i in window.doc.current.instances] == ["T12", "L1"]
    press(Qt.Key.Key_Z, CTRL)
    assert [i.label for i in window.doc.current.instances] == ["L2", "T12", "L1"]


def test_every_key_is_on_the_sheet_once(window) -> None:  # type: ignore[no-untyped-def]
    """No key is bound to two actions (Qt then runs neither: "ambiguous shortcut"), and
    Help > Keyboard shortcuts lists each, the new outline keys under Edit."""
    from vertapp.gui.model.workflow import install_model_workflow

    install_model_workflow(window)
    owners: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            owners.setdefault(key.toString(), []).append(action.text())
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}
    rows = shortcut_rows(window)
    listed = {key for row in rows for key in row.keys.split(", ")}
    assert set(owners) <= listed
    edit = {(r.command, r.keys) for r in rows if r.menu == "Edit"}
    assert ("Select outline below", "Alt+Down") in edit
    assert ("Select outline above", "Alt+Up") in edit
    assert ("Cancel drawing / deselect", "Esc") in edit
