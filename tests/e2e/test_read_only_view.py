"""A read-only window says so where it stays in view and greys out what edits.

Before, only the title said "(read-only)": the reason was a status-bar message cut off
at 1280 px and replaced by the next one, the tools stayed enabled (a polygon was drawn,
then refused at Finish; a stroke painted, then refused), and every refusal opened one
more identical box. The "Saved" after Save as did not say where the work went.
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest
from mouse_driver import click, double_click, drag, draw_triangle
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from tests.e2e.window_driver import answer_by_title, new_window
from tests.e2e.window_driver import open_and_wait as _open
from tests.unit.lock_holder import holding
from vertapp.annotations.project_lock import lock_path
from vertapp.gui.widgets.read_only_bar import LOCKED_TIP
from vertapp.gui.window import files_controller
from vertapp.gui.window.names import set_hide_identifiers

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
TITLES = {"Project in use": "in_use", "Cannot save here": "cannot_save", "Unsaved edits": "unsaved"}


def _editing(window):  # type: ignore[no-untyped-def]
    """Every control that edits the project, as the window has them."""
    return [
        window.act_draw,
        window.act_brush,
        window.act_eraser,
        window.act_insert_vertex,
        window.act_delete_vertex,
        window.act_delete_polygon,
        window.act_save,
        window.act_next_label,
        *window.label_actions.values(),
        *window.part_actions,
        *window.labels.buttons.values(),
    ]


def _shows_read_only(window) -> bool:  # type: ignore[no-untyped-def]
    view = window.read_only_view
    return view.bar.isVisible() and view.badge.isVisible()


def test_a_read_only_window_says_so_and_greys_out_editing_until_saved_as_a_copy(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    set_hide_identifiers(False)  # folder names shown: the status names the copy
    with holding(small_project, edit=True):
        _open(qtbot, window, small_project)  # unattended: read-only
        bar = window.read_only_view.bar
        assert _shows_read_only(window)
        assert "opened read-only here" in bar.label.text() and bar.button.isEnabled()
        assert window.read_only_view.badge.text() == "Read-only"
        for control in _editing(window):
            assert not control.isEnabled() and control.toolTip() == LOCKED_TIP, control
        assert window.act_select.isEnabled() and window.act_save_as.isEnabled()
        draw_triangle(qtbot, window)  # greyed out: nothing drawn and nothing refused
        assert len(window.doc.current.instances) == 1 and not window._last_error

        monkeypatch.setattr(files_controller, "ask_new_project_folder", lambda p: tmp_path / "mine")
        bar.button.click()  # "Save as copy…"
        assert not window.doc.read_only, window._last_error
        assert not bar.isVisible() and not window.read_only_view.badge.isVisible()
        assert window.statusBar().currentMessage() == (
            "Saved as a new project in mine; the original stays with the other VertApp window"
        )
        for control in _editing(window)[:3]:  # editable again, with their own tooltips
            assert control.isEnabled() and control.toolTip() != LOCKED_TIP
        assert window.act_draw.toolTip() == "Draw a polygon by clicks (D)"
        draw_triangle(qtbot, window)
        assert len(window.doc.current.instances) == 2


def _boxes(window) -> list[QMessageBox]:  # type: ignore[no-untyped-def]
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def test_a_vertex_or_outline_drag_in_a_read_only_window_starts_nothing(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The drag was allowed and refused at release: the outline followed the mouse,
    snapped back, and a box opened each time. Now nothing moves, the status bar says why
    (no box), the cursor says "no" while the button is held; selecting still works."""
    with holding(small_project, edit=True):
        _open(qtbot, window, small_project)
        window.setProperty("headless", False)  # boxes as a user gets them
        canvas, layer = window.annot.canvas, window.annot.layer
        previews: list[object] = []
        monkeypatch.setattr(layer, "update_shape", lambda *a: previews.append(a))
        cursors: list[Qt.CursorShape] = []
        window.annot.tool.refused.connect(
            lambda _why: cursors.append(canvas.view.viewport().cursor().shape())
        )
        square = window.doc.current.instances[0]
        before = square.polygons[0].copy()
        try:
            click(qtbot, canvas, 50, 45)  # selecting is no edit
            assert layer.selected == square.id
            drag(qtbot, canvas, (70, 30), (90, 15), steps=8)  # the top-right vertex
            assert layer.selected_vertex == (0, 1)  # the handle is picked, not moved
            drag(qtbot, canvas, (50, 45), (60, 50), steps=8)  # the whole outline
            double_click(qtbot, canvas, 50, 30)  # a vertex on the top edge
            boxes = _boxes(window)
        finally:
            window.setProperty("headless", True)
        for box in boxes:
            box.close()
        assert not boxes and not window._last_error
        assert previews == []  # no preview followed the mouse
        np.testing.assert_array_equal(square.polygons[0], before)
        np.testing.assert_array_equal(layer.shapes[square.id].polygons[0], before)
        assert window.doc.stack.count() == 0 and not window.doc.modified
        assert window.statusBar().currentMessage() == LOCKED_TIP
        assert len(cursors) == 3  # once per gesture, not once per mouse move
        assert cursors[:2] == [Qt.CursorShape.ForbiddenCursor] * 2
        assert canvas.view.viewport().cursor().shape() == Qt.CursorShape.ArrowCursor
    _open(qtbot, window, small_project)  # editable again: the same drag moves the vertex
    monkeypatch.undo()
    click(qtbot, window.annot.canvas, 50, 45)
    drag(qtbot, window.annot.canvas, (70, 30), (90, 15), steps=8)
    moved = window.doc.current.instances[0].polygons[0]
    np.testing.assert_allclose(moved[1], (90, 15), atol=0.6)


def _canvas_menu(qtbot, window, x: float, y: float) -> QMenu:  # type: ignore[no-untyped-def]
    click(qtbot, window.annot.canvas, x, y, button=Qt.MouseButton.RightButton)
    [menu] = [m for m in window.findChildren(QMenu, "canvas_menu") if m.isVisible()]
    return menu


def _entries(menu: QMenu) -> dict[str, QAction]:
    return {a.text(): a for a in menu.actions() if not a.isSeparator()}


def test_the_image_menu_of_a_read_only_window_greys_out_its_edits(
    qtbot, window, small_project
) -> None:  # type: ignore[no-untyped-def]
    """Right-click on an outline: Label (relabel) stayed enabled, though every relabel
    was refused once chosen. Its edits are greyed out as in the toolbar, saying why."""
    with holding(small_project, edit=True):
        _open(qtbot, window, small_project)
        menu = _canvas_menu(qtbot, window, 50, 45)  # on the square: selects it
        assert window.annot.layer.selected is not None
        entries = _entries(menu)
        edits = ["Insert vertex", "Delete vertex", "Delete polygon", "Label"]
        edits += ["Draw polygon", "Brush", "Eraser"]
        for text in edits:
            action = entries[text]
            assert not action.isEnabled() and action.toolTip() == LOCKED_TIP, text
        assert entries["Select / edit"].isEnabled()
        assert menu.toolTipsVisible()  # the reason shows on the greyed entries
        menu.close()
        assert not window.doc.modified
    _open(qtbot, window, small_project)  # editable: Label back, for the selected outline
    menu = _canvas_menu(qtbot, window, 50, 45)
    entries = _entries(menu)
    for text in ("Insert vertex", "Delete polygon", "Label", "Draw polygon"):
        assert entries[text].isEnabled(), text
    assert entries["Label"].toolTip() != LOCKED_TIP
    assert not menu.toolTipsVisible()
    menu.close()


def test_the_window_that_lost_its_project_says_it_in_plain_words(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)  # unsaved when the other window opens it anyway
    second = new_window(qtbot)
    answer_by_title(second, monkeypatch, TITLES, in_use=Button.Ignore)
    _open(qtbot, second, small_project)
    assert "process" not in second._last_error  # "Opened anyway: the other window …"
    window.files.autosave()  # the timer's tick finds it out
    assert _shows_read_only(window) and not window.act_draw.isEnabled()
    text = window.read_only_view.bar.label.text()
    assert "Another VertApp window opened this project at " in text
    assert "Your unsaved edits are safe; use Save as copy" in text
    assert "process" not in text and ".vertapp" not in text  # pid, kept folder: the log's
    window.doc._recovered = False  # leave without the unsaved-edits question
    second.close()


def test_ctrl_s_in_a_read_only_window_says_why_once(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    """Save is greyed out, so the key would be silent: it says why instead, in a box the
    first time only (a second press soon after gets the status bar)."""
    with holding(small_project, edit=True):
        _open(qtbot, window, small_project)
        window.setProperty("headless", False)  # boxes as a user gets them
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        for _ in range(2):
            qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        window.setProperty("headless", True)
        assert "opened read-only" in window._last_error
        assert len(boxes) == 1 and "opened read-only" in boxes[0].text()
        boxes[0].close()


def test_ctrl_s_still_saves_an_editable_project(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    """The read-only Ctrl+S is off then: one key, one action (Qt ignores an ambiguous one)."""
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    window.files.wait_for_save()
    assert not window.doc.modified and window.statusBar().currentMessage() == "Saved"


def test_review_decisions_are_greyed_out_while_read_only(qtbot, window, small_project) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    flow = install_model_workflow(window)
    panel = flow.review_panel
    with holding(small_project, edit=True):
        _open(qtbot, window, small_project)
        for name in ("accept", "reject", "relabel", "complete"):
            assert not panel.buttons[name].isEnabled()
            assert not flow.review_actions[name].isEnabled()
            assert panel.buttons[name].toolTip() == LOCKED_TIP
        assert panel.buttons["next"].isEnabled()  # browsing stays
        # Predict adds to the project: it ran to the end, then its results were refused
        predict = flow.predict_panel
        for control in (
            flow.act_predict_current,
            flow.act_predict_all,
            predict.current_button,
            predict.all_button,
        ):
            assert not control.isEnabled() and control.toolTip() == LOCKED_TIP, control
        assert window.act_predict.isEnabled()  # Model > Predict…: shows the panels
        predict.predict_current()  # from code: refused before any run
        assert predict.worker is None
    _open(qtbot, window, small_project)  # free now: editable
    assert panel.buttons["accept"].isEnabled() and flow.review_actions["accept"].isEnabled()
    assert panel.buttons["accept"].toolTip().startswith("Accept the selected predictions")
    assert flow.act_predict_current.isEnabled() and flow.predict_panel.current_button.isEnabled()
    assert flow.act_predict_current.toolTip() != LOCKED_TIP


def test_train_is_greyed_out_while_read_only_and_back_when_editable(
    qtbot, window, small_project
) -> None:  # type: ignore[no-untyped-def]
    """Model > Train stayed enabled and refused in a box once chosen: it is greyed out as
    Predict is, saying why in its tooltip (shown in the Model menu), and back once the
    window may write its project again."""
    from vertapp.gui.model.workflow import install_model_workflow

    flow = install_model_workflow(window)
    own_tip = window.act_train.toolTip()
    with holding(small_project, edit=True):
        _open(qtbot, window, small_project)
        assert not window.act_train.isEnabled() and window.act_train.toolTip() == LOCKED_TIP
        assert window.menu_model.toolTipsVisible()
        window.act_train.trigger()  # Ctrl+T: greyed out, so nothing opens and no box
        assert flow.train_dialog is None and not window._last_error
    _open(qtbot, window, small_project)  # free now: editable
    assert window.act_train.isEnabled() and window.act_train.toolTip() == own_tip
    assert not window.menu_model.toolTipsVisible()
    dialog = flow.train()
    assert dialog is not None and dialog.start_button.isEnabled()
    flow.set_read_only(True)  # as when another window takes the project over
    assert not dialog.start_button.isEnabled() and dialog.start_button.toolTip() == LOCKED_TIP
    flow.set_read_only(False)
    assert dialog.start_button.isEnabled()
    dialog.close()


def test_the_in_use_question_names_the_computer_and_a_time_not_a_process(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A lock from another computer is always taken for live: only the user can tell it
    is not, and the question says when Open anyway is safe."""
    asked: list[str] = []
    monkeypatch.setattr(window, "ask", lambda title, text, *a: asked.append(text) or Button.Open)
    started = datetime.now().astimezone().replace(hour=8, minute=5)
    lock = {"pid": 4242, "host": "ws-12", "version": "1", "token": "ab" * 8}
    lock["started"] = started.isoformat(timespec="seconds")
    lock_path(small_project).parent.mkdir(parents=True, exist_ok=True)
    lock_path(small_project).write_text(json.dumps(lock))
    _open(qtbot, window, small_project)
    [text] = asked
    assert "another VertApp window on ws-12 since 08:05 today." in text
    assert "If VertApp is no longer running there, Open anyway is safe." in text
    assert "4242" not in text and "process" not in text
    assert "on ws-12 since 08:05 today" in window.read_only_view.bar.label.text()


def test_save_as_names_no_folder_while_names_are_hidden(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    set_hide_identifiers(True)
    _open(qtbot, window, small_project)
    assert window.save(tmp_path / "DOE_JOHN"), window._last_error
    assert window.statusBar().currentMessage() == "Saved as a new project in the chosen folder"
    window.save()
    window.files.wait_for_save()
    assert window.statusBar().currentMessage() == "Saved"  # in place: as before


def test_the_same_error_again_opens_no_second_box(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.widgets import notice_boxes

    window.setProperty("headless", False)
    try:
        for _ in range(3):
            window.show_error("This project was opened read-only here.")
        window.show_error("Another message")
        boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        assert sorted(b.text() for b in boxes) == [
            "Another message",
            "This project was opened read-only here.",
        ]
        for box in boxes:
            box.close()
        window.show_error("Another message")  # just closed: the status bar only
        assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        monkeypatch.setattr(notice_boxes, "REPEAT_S", 0.0)
        window.show_error("Another message")  # a while later: a box again
        [box] = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        box.close()
    finally:
        window.setProperty("headless", True)
