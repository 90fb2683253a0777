"""File > Recover kept edits…: edits set aside in .vertapp/kept/ come back through the menu.

Before, a window whose project was opened anyway in another window kept its unsaved
edits in .vertapp/kept/ and said so, but nothing in the app could bring them back: only
a call to store.recover_edits by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import answer_by_title, new_window
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import ops, store
from vertapp.annotations.opcodec import encode_op
from vertapp.annotations.recovery import kept_journals
from vertapp.gui.window.kept_edits_prompts import HEADING, NONE_TIP

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
TITLES = {
    "Project in use": "in_use",
    "Kept edits recovered": "recovered",
    "Delete kept edits?": "delete",
    "Unsaved edits": "unsaved",
}


def _answer(window, monkeypatch, **answers):  # type: ignore[no-untyped-def]
    """Questions answered by title; others get the unattended default. The titles asked."""
    return answer_by_title(window, monkeypatch, TITLES, **answers)


def _shapes(project) -> int:  # type: ignore[no-untyped-def]
    return len(project.images[1].instances)


def _file_menu(window):  # type: ignore[no-untyped-def]
    """File > Recover kept edits…, its state as the opened File menu shows it."""
    menu = window.menuBar().actions()[0].menu()
    menu.aboutToShow.emit()
    [action] = [a for a in menu.actions() if a.text() == "Recover &kept edits…"]
    assert action is window.files.prompts.kept.action
    return action


def _dialog(window):  # type: ignore[no-untyped-def]
    """File > Recover kept edits…, chosen in the menu."""
    kept = window.files.prompts.kept
    action = _file_menu(window)
    assert action.isEnabled()
    action.trigger()
    assert kept.dialog is not None and kept.dialog.isVisible()
    return kept.dialog


def _choose(window, dialog, folder: Path) -> None:  # type: ignore[no-untyped-def]
    entries = window.files.prompts.kept.entries
    dialog.list.setCurrentRow([e.folder for e in entries].index(folder))


def _keep_relabel(folder: Path) -> None:
    """A kept journal of another session (one relabel on the project as saved now)."""
    kept = folder / store.STATE_DIR / store.KEPT_DIR / "20200101-000000-aaaaaa"
    kept.mkdir(parents=True)
    sha = store.FileStamp.of(folder / store.PROJECT_FILE).sha256
    header = {"journal": 1, "base": store.PROJECT_FILE, "sha256": sha, "id": "another"}
    edit = encode_op(ops.Relabel(1, "L2"))
    (kept / store.JOURNAL_FILE).write_text(f"{json.dumps(header)}\n{json.dumps(edit)}\n")


def test_a_taken_over_windows_edits_are_recovered_through_the_menu_and_saved(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)  # unsaved here when another window opens it anyway
    second = new_window(qtbot)
    _answer(second, monkeypatch, in_use=Button.Ignore)
    _open(qtbot, second, small_project)
    draw_triangle(qtbot, window, x0=70)  # the first window notices: its edits go aside
    qtbot.waitUntil(lambda: bool(window.doc.read_only))
    aside = window.doc._aside.aside

    # read-only, the first window refuses in words (it may not write the project)
    _file_menu(window).trigger()
    assert "Kept edits are recovered only where they can be saved" in window._last_error

    # the second window: its own unsaved edit must be saved or undone first
    draw_triangle(qtbot, second, x0=40)
    dialog = _dialog(second)
    _choose(second, dialog, aside)  # the first window's own; the other one is the safety
    assert "from another window" in dialog.list.currentItem().text()  # copy made at the
    dialog.recover_button.click()
    assert "unsaved edits: save them" in second._last_error and dialog.isVisible()
    second.act_undo.trigger()
    asked = _answer(second, monkeypatch, recovered=Button.No)  # keep the kept copy
    dialog.recover_button.click()
    assert asked == ["Kept edits recovered"] and not dialog.isVisible()
    assert _shapes(second.doc.project) == 3  # the square and the first window's two
    assert second.doc.modified and second.isWindowModified()
    assert not second.doc.stack.canUndo()  # as after a crash recovery: nothing to undo
    assert aside.is_dir()  # deleted only when asked

    assert second.save(wait=True), second._last_error
    assert _shapes(store.load_project(small_project)) == 3 and not second.doc.modified
    assert not store.has_recovery(small_project)  # journalled again, on the saved file

    # Delete, confirmed, removes that folder and the safety copy of the same work only
    _keep_relabel(small_project)  # not the same work: stays
    dialog = _dialog(second)
    _choose(second, dialog, aside)
    copy = second.doc.safety_copy
    others = [k for k in kept_journals(small_project) if k not in (aside, copy)]
    asked = _answer(second, monkeypatch, delete=Button.Yes)
    dialog.delete_button.click()
    assert asked == ["Delete kept edits?"] and not aside.exists() and not copy.exists()
    assert kept_journals(small_project) == others and len(others) == 1
    _answer(window, monkeypatch, unsaved=Button.Discard)
    window.close()


def test_kept_edits_are_told_once_when_the_project_opens(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    kept = window.files.prompts.kept
    _open(qtbot, window, small_project)
    assert not _file_menu(window).isEnabled() and kept.action.toolTip() == NONE_TIP
    assert window.warning_bar.isHidden()
    project = store.load_project(small_project)  # a journal nobody answered for, kept
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L2"))
    journal.detach()
    store.keep_journal(small_project)
    store.clear_recovery(small_project)

    _open(qtbot, window, small_project)
    assert window.warning_bar.isVisible() and HEADING in window.warning_bar.label.text()
    assert "File &gt; Recover kept edits" in window.warning_bar.label.text()
    assert kept.action.isEnabled()
    _open(qtbot, window, small_project)  # told already: not again
    assert window.warning_bar.isHidden()

    dialog = _dialog(window)
    asked = _answer(window, monkeypatch, recovered=Button.Yes)  # and delete the kept copy
    dialog.recover_button.click()
    assert asked == ["Kept edits recovered"]
    assert window.doc.project.instance(1).label == "L2" and window.doc.modified
    assert kept_journals(small_project) == [] and not kept.action.isEnabled()
    assert window.save(wait=True), window._last_error
    assert store.load_project(small_project).instance(1).label == "L2"


def test_a_journal_on_a_version_that_is_gone_is_listed_but_not_recovered(
    qtbot, window, small_project: Path
) -> None:  # type: ignore[no-untyped-def]
    project = store.load_project(small_project)
    journal = store.Journal(project).attach()
    project.apply(ops.Relabel(1, "L2"))
    journal.detach()
    [kept] = [store.keep_journal(small_project)]
    store.clear_recovery(small_project)
    main = small_project / store.PROJECT_FILE
    main.write_text(main.read_text().replace('"not_started"', '"flagged"'))
    (small_project / store.BACKUP_FILE).unlink(missing_ok=True)
    _open(qtbot, window, small_project)
    dialog = _dialog(window)
    assert "cannot be recovered" in dialog.rows[0].summary
    assert not dialog.recover_button.isEnabled() and "another version" in dialog.details.text()
    assert kept is not None and kept.is_dir() and not window.doc.modified
