"""File > Recover kept edits… in the window that opened a project anyway (UX audit, round
11): the other window's work is said by what it adds, once, with the same count in the
list, the Recover status line and the Delete question.

Before: the window that chose "Open anyway" was at once told "1 set of edits was kept
aside earlier and is not in the project" (the safety copy it had just made itself); the
list said "its own copy + 0 edits" for two new outlines, beside that safety copy (both
recoverable: the outline twice); Recover said "Recovered 0 kept edits", Delete asked
"(0 edits)?", and "…File > Recover kept edits…." ended in a double full stop. The
warning-bar note stayed after the edits it announced were recovered or deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.test_kept_edits_window import _dialog
from tests.e2e.window_driver import new_window
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import ops, store
from vertapp.annotations.recovery import kept_journals

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
TWO = "2 outlines added on 1 image; review status of 1 image changed"  # drawn: in progress


def _asked(window, monkeypatch, **answers: Any) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Questions answered by title (others: the unattended default); (title, text) asked."""
    asked: list[tuple[str, str]] = []

    def ask(title: str, text: str, buttons: Any, default: Any) -> Any:
        asked.append((title, text))
        return answers.get(title, default)

    monkeypatch.setattr(window, "ask", ask)
    return asked


def _keep_relabel(folder: Path, label: str) -> None:
    """A journal nobody answered for (one relabel), kept; the folder's own one cleared."""
    project = store.load_project(folder)
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, label))
    journal.detach()
    store.keep_journal(folder)
    store.clear_recovery(folder)


def test_the_other_windows_work_is_said_by_what_it_adds_and_recovered_once(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)  # unsaved when another window opens the project anyway
    second = new_window(qtbot)
    _asked(second, monkeypatch, **{"Project in use": Button.Ignore})
    _open(qtbot, second, small_project)
    assert second.doc.safety_copy is not None and second.doc.safety_copy.is_dir()
    assert second.warning_bar.isHidden()  # its own safety copy: not news to it
    draw_triangle(qtbot, window, x0=70)  # the first window notices and sets its work aside
    qtbot.waitUntil(lambda: bool(window.doc.read_only))
    aside = window.doc._aside.aside

    dialog = _dialog(second)
    later, copy = dialog.rows
    assert later.summary.startswith("Unsaved work from another window, ")
    assert later.summary.endswith(f": {TWO}") and later.offered
    assert copy.summary.startswith("Safety copy of another window's unsaved work, ")
    assert "already in the later entry of" in copy.summary and not copy.offered
    dialog.list.setCurrentRow(1)
    assert not dialog.recover_button.isEnabled() and "twice" in dialog.details.text()

    dialog.list.setCurrentRow(0)
    asked = _asked(second, monkeypatch)  # Delete? Keep
    dialog.delete_button.click()
    [(title, text)] = asked
    assert title == "Delete kept edits?" and f"({TWO})?" in text
    assert "The earlier safety copy of the same work goes too" in text

    asked = _asked(second, monkeypatch, **{"Kept edits recovered": Button.Yes})
    dialog.recover_button.click()
    said = second.statusBar().currentMessage()
    assert said.startswith(f"Recovered the unsaved work from another window: {TWO}.")
    assert len(second.doc.project.images[1].instances) == 3  # the square and the two
    [(title, text)] = asked
    assert title == "Kept edits recovered" and "…." not in text
    assert kept_journals(small_project) == [] and not aside.exists()  # both copies went
    second.doc.stack.setClean()
    second.doc._recovered = False  # not saved: closing asks nothing in this test
    window.doc.stack.setClean()
    window.doc._recovered = False


def test_the_opening_note_goes_once_its_kept_edits_are_deleted_or_recovered(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _keep_relabel(small_project, "L2")
    _keep_relabel(small_project, "L3")
    _open(qtbot, window, small_project)
    text = window.warning_bar.label.text()
    assert window.warning_bar.isVisible() and "2 sets of kept edits" in text and "…." not in text

    dialog = _dialog(window)
    _asked(window, monkeypatch, **{"Delete kept edits?": Button.Yes})
    dialog.delete_button.click()
    assert window.warning_bar.isHidden() and len(dialog.rows) == 1

    _keep_relabel(small_project, "L4")
    _open(qtbot, window, small_project)  # the new one only is told
    assert window.warning_bar.isVisible()
    assert "edits from a session that ended unexpectedly" in window.warning_bar.label.text()
    dialog = _dialog(window)
    _asked(window, monkeypatch, **{"Kept edits recovered": Button.No})
    dialog.recover_button.click()
    assert window.warning_bar.isHidden()
    window.doc.stack.setClean()
    window.doc._recovered = False
