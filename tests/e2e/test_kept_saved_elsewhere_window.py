"""A window whose project was opened anyway elsewhere saves its work as a new project
before it notices: the safety copy the other window kept of that work is listed in File >
Recover kept edits… as "already saved to <folder>", and not offered.

Before, nothing superseded that copy (the first window never set its work aside), so the
other window offered it for recovery as unsaved work that was nowhere else."""

from __future__ import annotations

import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import answer_by_title, new_window
from tests.e2e.window_driver import holder_files as _theirs
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import store
from vertapp.gui.window.names import set_hide_identifiers

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton


def _dialog(window):  # type: ignore[no-untyped-def]
    kept = window.files.prompts.kept
    kept.ask()
    assert kept.dialog is not None and kept.dialog.isVisible()
    return kept.dialog


def test_a_safety_copy_saved_elsewhere_unnoticed_is_said_saved_and_not_offered(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)  # unsaved when the second window opens it anyway
    second = new_window(qtbot)
    answer_by_title(second, monkeypatch, {"Project in use": "in_use"}, in_use=Button.Ignore)
    _open(qtbot, second, small_project)
    copy = second.doc.safety_copy
    assert copy is not None
    theirs = _theirs(small_project)

    mine = tmp_path / "mine"
    assert window.save(mine), window._last_error  # "Save as", before it noticed
    assert not window.doc.read_only and len(store.load_project(mine).images[1].instances) == 2
    assert _theirs(small_project) == theirs  # only the copy's note was written there

    set_hide_identifiers(True)  # the default: the folder's name is not said
    dialog = _dialog(second)
    [row] = dialog.rows
    assert row.summary.endswith(": already saved to another project folder")
    assert not row.offered and not dialog.recover_button.isEnabled()
    assert dialog.delete_button.isEnabled() and "mine" not in row.details
    dialog.reject()

    set_hide_identifiers(False)  # names shown: the project folder the user chose, by name
    dialog = _dialog(second)
    [row] = dialog.rows
    assert row.summary.endswith(": already saved to mine") and str(tmp_path) not in row.details
    assert "saved this work as a new project in mine" in dialog.details.text()
    assert not dialog.recover_button.isEnabled()
    dialog.reject()
    assert copy.is_dir()  # deleted only when asked
