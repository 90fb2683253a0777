"""Saving a project whose folder vanished, that cannot be written, or that was saved as a
new project (round 14 audit, "never lose work").

- The folder was deleted while open, then one more edit: the journal made the folder
  again (its kept folder inside it), Ctrl+S then said "Saved" and wrote a project.json
  without images; "Save as" onto that path did the same.
- After "Save as" and a normal close, the original folder offered the same edits back as
  a crashed session's ("Recover", the default, added them a second time).
- Ctrl+S in a folder that cannot be written failed with ITK's raw error about writing a
  CT copy (volumes/…_mip.nii.gz, beside the project's own copy of another name) and
  offered no "Save as".

This machine's tests run as root, which ignores file permissions: a read-only folder is
played by refusing the writes under it the way the system would (PermissionError).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from tests.e2e.test_save_failures import _refuse_writes_under, fill_disk_under
from tests.e2e.window_driver import answer_by_title, new_window
from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import ops, store
from vertapp.annotations.kept_edits import describe_kept
from vertapp.annotations.recovery import NOTHING, recovery_plan
from vertapp.gui.window import files_controller

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton
TITLES = {"Cannot save here": "cannot_save", "Unsaved edits": "unsaved"}


def _relabel(window, label: str) -> None:  # type: ignore[no-untyped-def]
    inst = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(inst.id, label), "Relabel")


def _labels(folder: Path) -> list[str]:
    project = store.load_project(folder)
    return [inst.label for rec in project.images.values() for inst in rec.instances]


# ---------------------------------------------------------------- vanished folder
def test_ctrl_s_in_a_vanished_folder_refuses_and_offers_save_as(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    shown = window.doc.pixels(window.doc.current_id).copy()
    _relabel(window, "T9")
    shutil.rmtree(small_project)  # moved, deleted, an unmounted share
    _relabel(window, "T8")  # its journal finds its file gone
    qtbot.wait(50)
    assert not small_project.exists(), "the journal made the vanished folder again"
    assert "no longer there" in window._last_error and "Save project as" in window._last_error
    refuge = window.doc._aside.state  # the edits are journalled outside the folder
    assert store.recover_edits(small_project, refuge).project.instance(1).label == "T8"

    asked = answer_by_title(window, monkeypatch, TITLES, cannot_save=Button.Cancel)
    assert not window.files.save()  # Ctrl+S
    assert asked == ["Cannot save here"] and not small_project.exists()
    assert "no longer there" in window._last_error and window.doc.modified

    rescue = tmp_path / "rescue"
    asked = answer_by_title(window, monkeypatch, TITLES, cannot_save=Button.Save)
    monkeypatch.setattr(files_controller, "ask_new_project_folder", lambda parent: rescue)
    assert window.files.save(), window._last_error  # "Save as…" in the question
    assert asked == ["Cannot save here"] and _labels(rescue) == ["T8"]
    assert np.array_equal(np.asarray(Image.open(rescue / "images" / "m.png")), shown)
    assert not window.doc.modified and not refuge.exists()  # its edits are in `rescue`
    assert not small_project.exists()


def test_save_as_onto_the_vanished_path_after_more_edits_writes_the_images(
    qtbot, window, small_project
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    shown = window.doc.pixels(window.doc.current_id).copy()
    shutil.rmtree(small_project)
    _relabel(window, "T9")  # journalled outside the folder
    qtbot.wait(50)
    assert window.save(small_project), window._last_error  # File > Save project as…
    assert _labels(small_project) == ["T9"]
    assert np.array_equal(np.asarray(Image.open(small_project / "images" / "m.png")), shown)
    assert store.load_project(small_project, require_images=True)
    _relabel(window, "T8")
    assert store.recover(small_project).instance(1).label == "T8"  # journalled there again


def test_save_as_that_can_write_no_image_is_refused_in_words(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The folder is gone and no image is in memory: a project that shows nothing but
    "cannot read the image" is not written; the edits stay unsaved, journalled."""
    _open(qtbot, window, small_project)
    _relabel(window, "T9")
    shutil.rmtree(small_project)
    window.doc._pixels.clear()  # never shown this session
    rescue = tmp_path / "rescue"
    assert not window.save(rescue)
    assert "no longer exists" in window._last_error and "Export COCO" in window._last_error
    assert not rescue.exists() and window.doc.modified
    window.doc.stack.setClean()


# ---------------------------------------------------------------------- save as
def test_save_as_then_close_leaves_nothing_to_recover_in_the_original(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    _relabel(window, "T9")
    new = tmp_path / "new"
    assert window.save(new), window._last_error
    window.close()  # a normal close
    assert recovery_plan(small_project).kind == NOTHING, "offered back as crash recovery"
    assert all(not e.worth_telling and e.saved_to == "new" for e in describe_kept(small_project))
    again = new_window(qtbot)
    asked = answer_by_title(again, monkeypatch, {})
    _open(qtbot, again, small_project)
    assert asked == [] and "ended unexpectedly" not in again._last_error
    assert _labels(small_project) == ["L1"] and _labels(new) == ["T9"]


# -------------------------------------------------------------- read-only folder
def test_ctrl_s_in_a_folder_that_cannot_be_written_offers_save_as(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(small_project / store.STATE_DIR, ignore_errors=True)
    _refuse_writes_under(monkeypatch, small_project)
    _open(qtbot, window, small_project)
    assert "cannot be written" in window._last_error
    _relabel(window, "T9")
    asked = answer_by_title(window, monkeypatch, TITLES, cannot_save=Button.Cancel)
    assert not window.files.save()  # Ctrl+S
    assert asked == ["Cannot save here"]
    assert "cannot be written (Permission denied)" in window._last_error
    assert "Errno" not in window._last_error and window.doc.modified
    copy = tmp_path / "copy"
    asked = answer_by_title(window, monkeypatch, TITLES, cannot_save=Button.Save)
    monkeypatch.setattr(files_controller, "ask_new_project_folder", lambda parent: copy)
    assert window.files.save(), window._last_error
    assert asked == ["Cannot save here"] and _labels(copy) == ["T9"]
    assert _labels(small_project) == ["L1"]


def test_a_folder_writable_again_saves_in_place(qtbot, window, small_project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Permissions mended (or the share remounted read-write): Save works again, and
    the edits are journalled from then on."""
    shutil.rmtree(small_project / store.STATE_DIR, ignore_errors=True)
    mkdir, write = Path.mkdir, store.atomic_write_chunks
    _refuse_writes_under(monkeypatch, small_project)
    _open(qtbot, window, small_project)
    _relabel(window, "T9")
    monkeypatch.setattr(Path, "mkdir", mkdir)  # writable again
    monkeypatch.setattr(store, "atomic_write_chunks", write)
    assert window.files.save(wait=True), window._last_error
    assert _labels(small_project) == ["T9"] and window.doc.project.journal is not None


def _ct_project(folder: Path) -> None:
    """A MIP whose CT the project holds as volumes/ct.nii.gz (not <image>.nii.gz)."""
    project = store.load_project(folder)
    project.images[1].source_path = "volumes/ct.nii.gz"
    store.save_project(project, force=True)
    (folder / "volumes").mkdir()
    (folder / "volumes" / "ct.nii.gz").write_bytes(b"the project's own copy")
    (folder / "preprocess" / "m").mkdir(parents=True)
    (folder / "preprocess" / "m" / "preprocess.json").write_text("{}")


def _reloaded_ct(pixels: np.ndarray) -> SimpleNamespace:
    """What the window keeps of a CT read back from the project: writing it anywhere fails."""

    def refuse(*args: object) -> None:
        raise AssertionError("the CT's preprocessing was written again")

    return SimpleNamespace(mip=SimpleNamespace(mip_u8=pixels, save=refuse), volume=None)


@pytest.mark.parametrize("save_as", [False, True])
def test_a_ct_read_back_from_the_project_is_never_written_again(
    qtbot, small_project, tmp_path, save_as
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.document.document import Document

    _ct_project(small_project)
    doc = Document()
    doc.open_project(small_project)
    doc.keep_ct(1, _reloaded_ct(doc.pixels(1)))  # type: ignore[arg-type]
    doc.edit(ops.Relabel(doc.project.images[1].instances[0].id, "T9"), "Relabel")
    target = tmp_path / "copy" if save_as else small_project
    doc.save(target if save_as else None)
    assert sorted(p.name for p in (target / "volumes").iterdir()) == ["ct.nii.gz"]
    assert (target / "volumes" / "ct.nii.gz").read_bytes() == b"the project's own copy"
    assert store.load_project(target).images[1].source_path == "volumes/ct.nii.gz"
    assert (target / "preprocess" / "m" / "preprocess.json").is_file()
    doc.close_session()


def test_a_failed_save_as_keeps_no_second_copy_of_the_edits(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The journal put back after a failed "save as" starts from the project as it is: the
    one it replaces holds nothing more, and was kept as a crashed session's edits (told
    in the warning bar at the next open, beside the same edits offered for recovery)."""

    from vertapp.annotations.recovery import kept_journals

    _open(qtbot, window, small_project)
    _relabel(window, "T9")
    stick = tmp_path / "stick" / "copy"
    real = fill_disk_under(monkeypatch, stick)
    assert not window.save(stick)
    monkeypatch.setattr(store, "atomic_write_chunks", real)
    assert kept_journals(small_project) == []
    assert store.recover(small_project).instance(1).label == "T9"
    window.doc.stack.setClean()
