"""A read-only window says so where it stays in view and greys out what edits.

Before, only the title said "(read-only)": the reason was a status-bar message cut off
at 1280 px and replaced by the next one, the tools stayed enabled (a polygon was drawn,
then refused at Finish; a stroke painted, then refused), and every refusal opened one
more identical box. The "Saved" after Save as did not say where the work went.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from mouse_driver import draw_triangle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

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
    _open(qtbot, window, small_project)  # free now: editable
    assert panel.buttons["accept"].isEnabled() and flow.review_actions["accept"].isEnabled()
    assert panel.buttons["accept"].toolTip().startswith("Accept the selected predictions")


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
