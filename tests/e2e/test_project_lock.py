"""A project open in another VertApp session is never opened over it unasked.

The other session is a real child process (tests/unit/lock_holder.py) that holds the
folder's lock and, with `edit`, journals an edit: the live journal a second window used
to offer as a crash's ("No" deleted it), replace with its own, or delete on close.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import new_window
from tests.e2e.window_driver import open_and_wait as _open
from tests.unit.lock_holder import holding, kill
from vertapp.annotations import recovery, store
from vertapp.annotations.project_lock import lock_path, read_lock

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
IN_USE = "Project in use"


def _answer(window, monkeypatch, **answers):  # type: ignore[no-untyped-def]
    """Questions answered by title (`in_use`, `recover`, `unsaved`); others get the
    default an unattended run gets. Returns the (title, text) asked."""
    asked: list[tuple[str, str]] = []
    by_title = {IN_USE: "in_use", "Recover unsaved edits?": "recover", "Unsaved edits": "unsaved"}

    def ask(title, text, buttons, default):  # type: ignore[no-untyped-def]
        asked.append((title, text))
        return answers.get(by_title.get(title, ""), default)

    monkeypatch.setattr(window, "ask", ask)
    return asked


def _journal(folder: Path) -> bytes:
    return (folder / store.STATE_DIR / store.JOURNAL_FILE).read_bytes()


def test_unattended_open_of_a_project_in_use_is_read_only_and_touches_nothing(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked = _answer(window, monkeypatch)  # every question gets the unattended default
    with holding(small_project, edit=True) as child:
        journal, lock = _journal(small_project), lock_path(small_project).read_bytes()
        saved = (small_project / store.PROJECT_FILE).read_bytes()
        _open(qtbot, window, small_project)
        assert [title for title, _ in asked] == [IN_USE]  # its live journal never offered
        said = asked[0][1]  # when, in words; the process id is jargon (in the log)
        assert " today" in said and "process" not in said and str(child.pid) not in said
        assert window.doc.read_only and "(read-only)" in window.windowTitle()
        assert [i.label for i in window.doc.current.instances] == ["L1"]  # as saved
        draw_triangle(qtbot, window)  # the tool is greyed out: nothing drawn, nothing refused
        assert not window.act_draw.isEnabled() and not window._last_error
        assert len(window.doc.current.instances) == 1 and not window.doc.modified
        window._last_error = ""
        assert not window.save(wait=True)
        assert "opened read-only" in window._last_error
        window.close()
        assert _journal(small_project) == journal  # neither recovered, replaced nor deleted
        assert lock_path(small_project).read_bytes() == lock
        assert (small_project / store.PROJECT_FILE).read_bytes() == saved
        assert recovery.kept_journals(small_project) == []


def test_save_as_turns_a_read_only_project_into_an_editable_copy(
    qtbot, window, small_project, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    _answer(window, monkeypatch, in_use=Button.Open)  # "Open read-only"
    with holding(small_project, edit=True) as child:
        _open(qtbot, window, small_project)
        copy = tmp_path / "copy"
        assert window.save(copy), window._last_error
        assert not window.doc.read_only and "(read-only)" not in window.windowTitle()
        assert read_lock(copy).pid == os.getpid()  # type: ignore[union-attr]
        assert read_lock(small_project).pid == child.pid  # type: ignore[union-attr]
        draw_triangle(qtbot, window)
        assert len(window.doc.current.instances) == 2 and store.has_recovery(copy)


def test_open_anyway_takes_over_and_keeps_the_other_sessions_journal(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked = _answer(window, monkeypatch, in_use=Button.Ignore)  # "Open anyway"
    theirs = store.load_project(small_project)  # the other window's project, as loaded
    with holding(small_project, edit=True):
        journal = _journal(small_project)
        _open(qtbot, window, small_project)
    assert [title for title, _ in asked] == [IN_USE]  # its journal is no crash's
    assert read_lock(small_project).pid == os.getpid()  # type: ignore[union-attr]
    assert "Opened anyway" in window._last_error and "turns read-only" in window._last_error
    kept = recovery.kept_journals(small_project)  # its edit is not lost
    assert [(k / store.JOURNAL_FILE).read_bytes() for k in kept] == [journal]
    draw_triangle(qtbot, window)
    assert len(store.recover(small_project).images[1].instances) == 2  # journalled here
    assert window.save(wait=True)
    with pytest.raises(store.ChangedOnDisk):  # the other window's next save asks first
        store.save_project(theirs)


def test_cancel_leaves_the_project_unopened(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _answer(window, monkeypatch, in_use=Button.Cancel)
    with holding(small_project, edit=True) as child:
        journal = _journal(small_project)
        with qtbot.waitSignal(window.loaded, timeout=30_000) as blocker:
            window.open_path(small_project)
        assert blocker.args == [False]
        assert window.doc.project.root is None and not window.doc.image_ids
        assert _journal(small_project) == journal
        assert read_lock(small_project).pid == child.pid  # type: ignore[union-attr]


def test_a_killed_sessions_lock_is_taken_over_and_its_edits_offered(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with holding(small_project, edit=True) as child:
        kill(child)  # a crash: its lock and journal stay behind
    assert read_lock(small_project).pid == child.pid  # type: ignore[union-attr]
    asked = _answer(window, monkeypatch, recover=Button.Yes)
    _open(qtbot, window, small_project)
    assert [title for title, _ in asked] == ["Recover unsaved edits?"]  # no "in use"
    assert [i.label for i in window.doc.current.instances] == ["T9"]  # its edit recovered
    assert read_lock(small_project).pid == os.getpid()  # type: ignore[union-attr]
    assert not window.doc.read_only
    window.doc.stack.setClean()
    window.doc._recovered = False


def test_the_lock_is_released_on_close_and_moves_with_save_as(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    assert read_lock(small_project).pid == os.getpid()  # type: ignore[union-attr]
    copy = tmp_path / "copy"
    assert window.save(copy), window._last_error
    assert read_lock(small_project) is None and read_lock(copy) is not None
    _open(qtbot, window, small_project)  # opening something else frees the copy
    assert read_lock(copy) is None and read_lock(small_project) is not None
    window.close()
    assert read_lock(small_project) is None


def test_a_window_whose_project_was_taken_over_leaves_the_journal_when_it_closes(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Two windows of one process: the second opens anyway and edits; the first, closed
    with Discard, used to delete the journal that now protects the second's edits."""
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    second = new_window(qtbot)
    asked = _answer(second, monkeypatch, in_use=Button.Ignore)
    _open(qtbot, second, small_project)
    assert [title for title, _ in asked] == [IN_USE]
    draw_triangle(qtbot, second)
    lock = lock_path(small_project).read_bytes()
    _answer(window, monkeypatch, unsaved=Button.Discard)
    window.close()
    assert lock_path(small_project).read_bytes() == lock  # still the second window's
    assert len(store.recover(small_project).images[1].instances) == 2  # its edit protected
    second.doc.stack.setClean()


@pytest.mark.slow
def test_a_screenshot_run_of_a_project_in_use_opens_it_read_only_without_asking(
    small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """`vertapp gui PROJECT --screenshot` (a third process) has nobody to answer: it must
    neither hang on the question nor touch the other session's journal or lock."""
    import subprocess
    import sys

    png = tmp_path / "shot.png"
    with holding(small_project, edit=True):
        journal, lock = _journal(small_project), lock_path(small_project).read_bytes()
        done = subprocess.run(
            [sys.executable, "-m", "vertapp", "gui", str(small_project), "--screenshot", str(png)],
            env=dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert png.is_file()
        assert _journal(small_project) == journal
        assert lock_path(small_project).read_bytes() == lock
