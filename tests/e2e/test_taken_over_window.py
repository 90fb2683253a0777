"""Two windows of one process on one project: the second opens it anyway ("Open anyway").

The first window, which still thought it held the folder, used to save over the
second's work, restart its journal over the second's (wiping the second's unsaved
edits), and journal its own later edits into a file the second had replaced: lost at a
crash. Now it notices (at its next edit, save or autosave tick), turns read-only, keeps
its unsaved edits in a journal of its own under .vertapp/kept/, and offers "Save as";
the second window's journal, lock and project.json are never touched by it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import answer_by_title, new_window
from tests.e2e.window_driver import holder_files as _theirs
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import store
from vertapp.annotations.project_lock import read_lock
from vertapp.annotations.recovery import kept_journals
from vertapp.gui.window import files_controller

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
TITLES = {"Project in use": "in_use", "Cannot save here": "cannot_save", "Unsaved edits": "unsaved"}
TAKEN = "opened this project at"  # project_lock.taken_away_words


def _answer(window, monkeypatch, **answers):  # type: ignore[no-untyped-def]
    """Questions answered by title; others get the unattended default. The titles asked."""
    return answer_by_title(window, monkeypatch, TITLES, **answers)


def _take_over(qtbot, monkeypatch, folder: Path):  # type: ignore[no-untyped-def]
    second = new_window(qtbot)
    _answer(second, monkeypatch, in_use=Button.Ignore)  # "Open anyway"
    _open(qtbot, second, folder)
    return second


def _labels(project) -> int:  # type: ignore[no-untyped-def]
    return len(project.images[1].instances)


def test_save_after_a_take_over_is_refused_and_save_as_keeps_both_windows_work(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)  # the first window's unsaved edit
    second = _take_over(qtbot, monkeypatch, small_project)
    draw_triangle(qtbot, second, x0=70)  # the second's, journalled in the folder
    theirs = _theirs(small_project)

    asked = _answer(window, monkeypatch)  # Ctrl+S, and Cancel to "Save as"
    window.act_save.trigger()
    assert asked == ["Cannot save here"]
    assert TAKEN in window._last_error and "(read-only)" in window.windowTitle()
    assert _theirs(small_project) == theirs  # no save, no journal over the second's
    assert window.doc.modified and _labels(window.doc.project) == 2  # still on screen
    # the message says they are safe (where: in the log, not in words to the user), and
    # they are in a kept folder of this window's own (the second window kept a copy of
    # its journal too, when it took the folder over)
    said = window._last_error
    assert "Your unsaved edits are safe" in said and ".vertapp" not in said
    kept = window.doc._aside.aside
    assert kept in kept_journals(small_project)
    assert _labels(store.recover_edits(small_project, kept).project) == 2

    mine = tmp_path / "mine"
    _answer(window, monkeypatch, cannot_save=Button.Save)
    monkeypatch.setattr(files_controller, "ask_new_project_folder", lambda parent: mine)
    assert window.save(), window._last_error  # Save offers "Save as": taken
    assert _labels(store.load_project(mine)) == 2 and not window.doc.read_only
    assert read_lock(mine).token == window.doc.folder_lock.lock.info.token  # type: ignore[union-attr]
    assert not kept.exists()  # saved: the kept copy is no longer needed
    assert _theirs(small_project) == theirs

    assert second.save(wait=True), second._last_error  # no "changed on disk": not written
    assert _labels(store.load_project(small_project)) == 2


def test_an_edit_after_a_take_over_is_kept_and_turns_the_window_read_only(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    second = _take_over(qtbot, monkeypatch, small_project)
    draw_triangle(qtbot, second, x0=70)
    theirs = _theirs(small_project)
    draw_triangle(qtbot, window)  # journalled, but not into the second's file
    qtbot.waitUntil(lambda: bool(window.doc.read_only))
    assert TAKEN in window._last_error and "Save as copy" in window._last_error
    assert _theirs(small_project) == theirs
    [kept] = kept_journals(small_project)
    assert _labels(store.recover_edits(small_project, kept).project) == 2
    assert window.doc.modified and not window.doc.stack.canUndo()  # undo would be refused
    _answer(window, monkeypatch, unsaved=Button.Discard)
    window.close()  # the user discarded them: its own kept journal goes, nothing else
    assert kept_journals(small_project) == [] and _theirs(small_project) == theirs
    assert _labels(store.recover(small_project)) == 2  # the second's edit, protected
    second.doc.stack.setClean()


def test_the_autosave_tick_notices_a_take_over(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Nothing edited or saved since: the timer's tick turns it read-only all the same."""
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    second = _take_over(qtbot, monkeypatch, small_project)
    theirs = _theirs(small_project)
    window.files.autosave()
    assert window.doc.read_only and TAKEN in window._last_error
    assert _theirs(small_project) == theirs and len(kept_journals(small_project)) >= 1
    window.doc._recovered = False  # leave without the unsaved-edits question
    second.close()


def test_a_window_whose_folder_was_freed_again_journals_there_again(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The second window closed (lock released, its journal removed): the first one's
    next edit finds its journal gone; the folder is free, so it holds it again and its
    edits are offered after a crash as usual (not hidden in a kept folder)."""
    _open(qtbot, window, small_project)
    second = _take_over(qtbot, monkeypatch, small_project)
    second.close()
    assert read_lock(small_project) is None
    draw_triangle(qtbot, window)
    qtbot.waitUntil(lambda: window.doc.folder_lock.owns(small_project))
    assert not window.doc.read_only and kept_journals(small_project) == []
    assert _labels(store.recover(small_project)) == 2
