"""Autosave, recovery after a crash, and the prompt on close with unsaved edits."""

from __future__ import annotations

import numpy as np
import pytest
from mouse_driver import draw_triangle
from PySide6.QtWidgets import QMessageBox

from tests.e2e.test_save_failures import fill_disk_under
from tests.e2e.window_driver import leave_as_killed, new_window
from tests.e2e.window_driver import open_and_wait as _open

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton


@pytest.fixture
def radiograph_png(tmp_path):  # type: ignore[no-untyped-def]
    from PIL import Image

    path = tmp_path / "spine_xray.png"
    Image.fromarray((np.arange(80 * 60).reshape(80, 60) % 200).astype(np.uint8)).save(path)
    return path


def test_journal_recovers_edits_after_a_crash(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    assert len(window.doc.current.instances) == 2
    # crash: the window never closes; the journal on disk is all that is left
    leave_as_killed(window)
    second = new_window(qtbot)
    asked = []
    monkeypatch.setattr(second, "ask", lambda *a: asked.append(a[0]) or Button.Yes)
    _open(qtbot, second, small_project)
    assert asked == ["Recover unsaved edits?"]
    assert len(second.doc.current.instances) == 2
    assert second.doc.current.instances[1].label == "L2"
    assert second.isWindowModified()  # recovered edits are not saved yet
    second.doc.stack.setClean()
    second.doc._recovered = False


def test_declining_recovery_drops_the_journal(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Discard: not offered again, but kept in .vertapp/kept/ (in case that was a
    mistake; tests/e2e/test_recovery_question.py)."""
    from vertapp.annotations import recovery, store

    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    leave_as_killed(window)
    second = new_window(qtbot)
    monkeypatch.setattr(second, "ask", lambda *a: Button.Discard)
    _open(qtbot, second, small_project)
    assert len(second.doc.current.instances) == 1
    assert not store.has_recovery(small_project)
    (kept,) = recovery.kept_journals(small_project)
    assert store.kept_note(kept)["origin"] == store.DISCARDED


def test_untitled_work_is_autosaved_and_offered_back(
    qtbot, window, radiograph_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, radiograph_png)
    assert window.labels.labels[0] == "body"  # radiograph: the part palette
    draw_triangle(qtbot, window)
    assert window.doc.autosave()
    assert not window.doc.autosave()  # nothing new since
    second = new_window(qtbot)
    monkeypatch.setattr(second, "ask", lambda *a: Button.Yes)
    _open(qtbot, second, radiograph_png)
    (inst,) = second.doc.current.instances
    assert inst.label == "body"
    np.testing.assert_allclose(inst.polygons[0], [[10, 10], [40, 10], [40, 40]], atol=0.6)
    assert second.isWindowModified()
    second.doc._recovered = False


def test_untitled_autosave_is_anonymous_per_file_and_gone_once_saved(
    qtbot, window, radiograph_png, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from vertapp.config import config_dir

    _open(qtbot, window, radiograph_png)
    draw_triangle(qtbot, window)
    assert window.doc.autosave()
    (folder,) = (config_dir() / "autosave").iterdir()
    # Named by a digest of the full path: no part of the file name (it may be a patient's).
    assert "spine" not in folder.name and "xray" not in folder.name
    assert len(folder.name) == 24 and int(folder.name, 16) >= 0
    # Another patient's file of the same name and size is not offered these edits.
    other = tmp_path / "elsewhere" / radiograph_png.name
    other.parent.mkdir()
    Image.fromarray(np.full((80, 60), 7, np.uint8)).save(other)
    second = new_window(qtbot)
    monkeypatch.setattr(second, "ask", lambda *a: pytest.fail("offered another file's edits"))
    _open(qtbot, second, other)
    assert second.doc.current.instances == [] and not second.isWindowModified()
    # Saved as a project: the autosave is no longer needed and is removed, so reopening
    # the radiograph later offers nothing stale.
    assert window.save(tmp_path / "proj", wait=True)
    assert not folder.exists()


def test_close_prompt_can_cancel_or_discard(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    answers = [Button.Cancel, Button.Discard]
    monkeypatch.setattr(window, "ask", lambda *a: answers.pop(0))
    assert not window.close()  # cancelled: still open, edits kept
    assert window.isVisible() and len(window.doc.current.instances) == 2
    assert window.close()
    assert answers == []


def test_close_prompt_save_writes_the_project(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import store

    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    monkeypatch.setattr(window, "ask", lambda *a: Button.Save)
    assert window.close()
    saved = store.load_project(small_project)
    assert len(saved.images[1].instances) == 2
    assert not store.has_recovery(small_project)


# ------------------------------------------------------------------ issue 18: window bugs
@pytest.fixture
def second_png(tmp_path):  # type: ignore[no-untyped-def]
    from PIL import Image

    path = tmp_path / "other_xray.png"
    Image.fromarray((np.arange(90 * 70).reshape(90, 70) % 180).astype(np.uint8)).save(path)
    return path


def _answer(window, monkeypatch, **answers):  # type: ignore[no-untyped-def]
    """Answer the window's questions by title; record every title asked."""
    asked: list[str] = []

    def ask(title, text, buttons, default):  # type: ignore[no-untyped-def]
        asked.append(title)
        return answers.get(title.split()[0].lower(), default)

    monkeypatch.setattr(window, "ask", ask)
    return asked


def test_second_scan_is_autosaved_after_the_first_was_discarded(
    qtbot, window, radiograph_png, second_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _answer(window, monkeypatch, unsaved=Button.Discard)
    _open(qtbot, window, radiograph_png)
    draw_triangle(qtbot, window)
    assert window.doc.autosave()
    _open(qtbot, window, second_png)  # Discard the first scan's edit
    draw_triangle(qtbot, window)  # the same number of edits: the same revision number
    assert window.doc.autosave(), "the second scan's edit was taken as already autosaved"
    assert (window.doc.untitled_autosave_dir() / "project.json").is_file()


def test_discarded_untitled_edits_are_not_offered_again(
    qtbot, window, radiograph_png, second_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked = _answer(window, monkeypatch, unsaved=Button.Discard, recover=Button.Yes)
    _open(qtbot, window, radiograph_png)
    draw_triangle(qtbot, window)
    assert window.doc.autosave()
    _open(qtbot, window, second_png)  # the user chose Discard for the first scan
    assert asked == ["Unsaved edits"]
    _open(qtbot, window, radiograph_png)
    assert asked == ["Unsaved edits"], "discarded edits were offered as recoverable"
    assert window.doc.current.instances == []


def test_discarded_project_edits_are_not_offered_again(
    qtbot, window, small_project, radiograph_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import store

    asked = _answer(window, monkeypatch, unsaved=Button.Discard, recover=Button.Yes)
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)  # journalled
    _open(qtbot, window, radiograph_png)  # Discard
    assert not store.has_recovery(small_project)
    _open(qtbot, window, small_project)
    assert asked == ["Unsaved edits"]
    assert len(window.doc.current.instances) == 1


def _crash_with_an_edit(qtbot, window, folder):  # type: ignore[no-untyped-def]
    _open(qtbot, window, folder)
    draw_triangle(qtbot, window)
    window.doc._detach_journal()  # as after a kill: the journal's file is all that is left
    leave_as_killed(window)


def test_failed_recovery_keeps_the_edits_and_says_where(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import recovery, store

    _crash_with_an_edit(qtbot, window, small_project)
    journal = (small_project / ".vertapp" / "journal.jsonl").read_text()
    # Another program rewrites project.json (no backup of the version the journal is on).
    other = store.load_project(small_project)
    other.images[1].instances[0].label = "L5"
    (small_project / "project.json").write_bytes(store.dumps_project(other))
    second = new_window(qtbot)
    asked = _answer(second, monkeypatch, recover=Button.Yes)
    _open(qtbot, second, small_project)
    assert asked == ["Recover unsaved edits?"]
    assert "kept in" in second._last_error and ".vertapp" in second._last_error
    assert second.doc.current.instances[0].label == "L5"  # the other version, as on disk
    # Editing and saving now must not delete the edits that could not be replayed.
    draw_triangle(qtbot, second)
    assert store.has_recovery(small_project), "edits after a failed recovery are unprotected"
    assert second.save(wait=True)
    kept = recovery.kept_journals(small_project)
    assert any((k / "journal.jsonl").read_text() == journal for k in kept)


def test_recovery_in_doubt_replays_over_the_backup_and_says_so(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import store

    _crash_with_an_edit(qtbot, window, small_project)
    # Another program saves as we do: the journal's version of project.json is now the .bak.
    main = small_project / "project.json"
    other = store.load_project(small_project)
    other.images[1].instances[0].label = "L5"
    store.atomic_write_bytes(
        main, store.dumps_project(other), backup=small_project / "project.json.bak"
    )
    second = new_window(qtbot)
    _answer(second, monkeypatch, recover=Button.Yes)
    _open(qtbot, second, small_project)
    assert "changed by another program" in second._last_error  # told, not silent
    assert len(second.doc.current.instances) == 2  # the journalled edit is back
    assert main.read_bytes() == store.dumps_project(other)  # the other version is kept


def test_backup_only_folder_is_offered_for_restore(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    (small_project / "project.json").rename(small_project / "project.json.bak")
    asked = _answer(window, monkeypatch, restore=Button.Yes)
    _open(qtbot, window, small_project)
    assert asked == ["Restore the previous version?"]
    assert (small_project / "project.json").is_file()
    assert len(window.doc.current.instances) == 1


def test_backup_only_folder_declined_is_left_alone(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    (small_project / "project.json").rename(small_project / "project.json.bak")
    _answer(window, monkeypatch, restore=Button.No)
    with qtbot.waitSignal(window.loaded, timeout=30_000) as blocker:
        window.open_path(small_project)
    assert blocker.args == [False]
    assert not (small_project / "project.json").exists()
    assert "DICOM" not in window._last_error


def test_discard_then_a_failed_open_keeps_the_edits_journalled(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations import store

    _answer(window, monkeypatch, unsaved=Button.Discard)
    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not a volume")
    with qtbot.waitSignal(window.loaded, timeout=30_000) as blocker:
        window.open_path(broken)  # Discard, then the open fails: the project stays open
    assert blocker.args == [False]
    assert len(window.doc.current.instances) == 2
    assert store.has_recovery(small_project), "the edits still on screen lost their journal"


@pytest.mark.parametrize("in_background", [False, True])
def test_a_failed_save_as_keeps_the_journal_on(  # type: ignore[no-untyped-def]
    qtbot, window, small_project, tmp_path, monkeypatch, in_background
) -> None:
    """Save as onto a full stick fails: the edits after it must still reach the journal
    (the save had taken it off for the new folder and never put it back)."""

    from vertapp.annotations import store

    _open(qtbot, window, small_project)
    stick = tmp_path / "stick" / "copy"
    real = fill_disk_under(monkeypatch, stick)
    if in_background:
        assert window.files.save(stick, wait=False)
        window.files.wait_for_save()
    else:
        assert not window.save(stick)
    monkeypatch.setattr(store, "atomic_write_chunks", real)
    draw_triangle(qtbot, window)  # an edit after the failed save
    assert window.doc.project.root == small_project
    back = store.recover(small_project)  # the crash: only the journal is left
    assert len(back.images[window.doc.current_id].instances) == 2
    window.doc.stack.setClean()


@pytest.mark.parametrize("answer", [Button.Yes, Button.No])
def test_a_project_changed_on_disk_can_still_be_saved(  # type: ignore[no-untyped-def]
    qtbot, window, small_project, monkeypatch, answer
) -> None:
    """Another program rewrote project.json: the window asks, and Yes saves ours with
    theirs kept as project.json.bak; No writes nothing and keeps the edits unsaved."""
    import json

    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    theirs = json.loads((small_project / "project.json").read_text())
    theirs.setdefault("info", {})["note"] = "written by another program"
    (small_project / "project.json").write_text(json.dumps(theirs))
    asked = []
    monkeypatch.setattr(window, "ask", lambda *a: asked.append(a[0]) or answer)
    saved = window.files.save(wait=True)
    assert asked == ["Changed by another program"]
    on_disk = json.loads((small_project / "project.json").read_text())
    if answer == Button.Yes:
        assert saved and not window.doc.modified
        assert json.loads((small_project / "project.json.bak").read_text()) == theirs
        from vertapp.annotations import store

        ours = store.load_project(small_project).images[window.doc.current_id]
        assert len(ours.instances) == 2 and on_disk != theirs  # the triangle is saved
    else:
        assert not saved and window.doc.modified and on_disk == theirs
        window.doc.stack.setClean()


def test_discarded_edits_that_cannot_be_removed_are_said(
    qtbot, window, small_project, radiograph_png, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Discard, then the journal cannot be removed (a read-only folder): the edits are
    offered again next time, and the user is told so, on opening something else and on
    closing (the words were dropped)."""
    from tests.unit.annotations.test_journal_bad_entries import unremovable_journal
    from vertapp.annotations import store

    _open(qtbot, window, small_project)
    draw_triangle(qtbot, window)
    monkeypatch.setattr(window, "ask", lambda *a: Button.Discard)
    unremovable_journal(monkeypatch)
    _open(qtbot, window, radiograph_png)
    assert "could not be removed (Permission denied)" in window._last_error
    assert "offered again" in window._last_error
    assert store.has_recovery(small_project)
    asked = _answer(window, monkeypatch, recover=Button.Yes, unsaved=Button.Discard)
    _open(qtbot, window, small_project)  # offered again: recovered, then discarded on close
    assert asked == ["Recover unsaved edits?"] and window.doc.modified
    window._last_error = ""
    window.close()
    assert "could not be removed (Permission denied)" in window._last_error
