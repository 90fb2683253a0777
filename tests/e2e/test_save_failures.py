"""Saves that meet a lost folder, a lost image file, a read-only folder or a full disk.

Every one must lose nothing the window holds, say what went wrong in words (the folder
and the reason, never Python's "[Errno 13] ... .project.json.x1y2.tmp"), and leave no
half-made project folder behind.

This machine's tests run as root, which ignores file permissions: a read-only folder is
played by refusing the writes under it the way the system would (PermissionError).
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import ops, store

pytestmark = pytest.mark.gui
Button = QMessageBox.StandardButton


def _edit(window) -> None:  # type: ignore[no-untyped-def]
    """An unsaved edit: the first vertebra renamed T9."""
    inst = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(inst.id, "T9"), "Relabel")


def _saved_labels(folder: Path) -> list[str]:
    project = store.load_project(folder)
    return [inst.label for rec in project.images.values() for inst in rec.instances]


def _in_words(message: str) -> None:
    assert message, "no message"
    assert "Errno" not in message and ".tmp" not in message, message


def _refuse_writes_under(monkeypatch, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """`folder` read-only: creating a folder or writing a file under it is refused."""
    real_mkdir, real_write = Path.mkdir, store.atomic_write_chunks

    def inside(path) -> bool:  # type: ignore[no-untyped-def]
        return Path(path) == folder or folder in Path(path).parents

    def mkdir(self, *args, **kw):  # type: ignore[no-untyped-def]
        if inside(self) and not self.is_dir():
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kw)

    def write(path, *args, **kw):  # type: ignore[no-untyped-def]
        if inside(path):  # what the system names: the hidden temp file
            hidden = Path(path).parent / f".{Path(path).name}.k2j3.tmp"
            raise PermissionError(errno.EACCES, "Permission denied", str(hidden))
        return real_write(path, *args, **kw)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.setattr(store, "atomic_write_chunks", write)


def fill_disk_under(monkeypatch, folder: Path) -> Any:  # type: ignore[no-untyped-def]
    """Writing under `folder` fails as on a full stick; the real writer (to put back)."""
    real = store.atomic_write_chunks

    def full_disk(path, *args, **kw):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(folder)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, *args, **kw)

    monkeypatch.setattr(store, "atomic_write_chunks", full_disk)
    return real


# ------------------------------------------------------------- lost folder, lost image
def test_save_as_rescues_a_project_whose_folder_was_deleted(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The folder went (deleted, moved, unmounted) while open: "save as" writes the
    annotations and the image from the pixels still in memory."""
    _open(qtbot, window, small_project)
    shown = window.doc.pixels(window.doc.current_id).copy()
    _edit(window)
    shutil.rmtree(small_project)
    rescue = tmp_path / "rescue"
    assert window.save(rescue), window._last_error
    assert _saved_labels(rescue) == ["T9"]
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(rescue / "images" / "m.png")), shown)
    assert not window.doc.modified and window.doc.project.root == rescue


def test_save_as_onto_the_vanished_folders_own_path_makes_it_again(
    qtbot, window, small_project
) -> None:  # type: ignore[no-untyped-def]
    """A plain Save into a folder that vanished is refused (an unmounted share must not be
    re-created empty); "Save as" onto that very path was refused too, though the user
    chose it: the folder is made again, from what the window holds."""
    from PIL import Image

    _open(qtbot, window, small_project)
    shown = window.doc.pixels(window.doc.current_id).copy()
    _edit(window)
    shutil.rmtree(small_project)
    assert not window.save(wait=True)  # Ctrl+S
    assert "no longer there" in window._last_error and not small_project.exists()
    assert window.save(small_project), window._last_error  # File > Save project as…
    assert _saved_labels(small_project) == ["T9"]
    assert np.array_equal(np.asarray(Image.open(small_project / "images" / "m.png")), shown)
    assert not window.doc.modified and window.doc.project.root == small_project
    _edit_again = window.doc.current.instances[0]
    window.doc.edit(ops.Relabel(_edit_again.id, "T8"), "Relabel")
    assert store.recover(small_project).instance(_edit_again.id).label == "T8"  # journalled


def test_save_as_names_an_image_file_the_project_lost(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """One image file gone from the folder (not in memory either): the rest is saved and
    the message names the file; it no longer kept the whole project unsaved."""
    (small_project / "images" / "m.png").unlink()
    _open(qtbot, window, small_project)
    _edit(window)
    rescue = tmp_path / "rescue"
    assert window.save(rescue), window._last_error
    assert _saved_labels(rescue) == ["T9"]
    assert "images/m.png" in window._last_error and str(small_project) in window._last_error
    _in_words(window._last_error)
    assert not window.doc.modified


@pytest.mark.parametrize("in_background", [False, True])
def test_a_failed_save_as_leaves_no_half_made_folder(
    qtbot, window, small_project, tmp_path, monkeypatch, in_background
) -> None:  # type: ignore[no-untyped-def]
    """The disk fills while "save as" writes: the folders it made go again (images/ and
    no project.json looked like a project that had lost its annotations)."""
    _open(qtbot, window, small_project)
    _edit(window)
    stick = tmp_path / "stick"
    real = store.atomic_write_chunks

    def full_disk(path, *args, **kw):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(stick)):
            raise OSError(errno.ENOSPC, "No space left on device", str(path) + ".x1.tmp")
        return real(path, *args, **kw)

    monkeypatch.setattr(store, "atomic_write_chunks", full_disk)
    target = stick / "deep" / "copy"
    if in_background:
        assert window.files.save(target, wait=False)
        window.files.wait_for_save()
    else:
        assert not window.save(target)
    assert not stick.exists(), sorted(stick.rglob("*"))
    assert "No space left on device" in window._last_error
    _in_words(window._last_error)
    assert window.doc.modified and window.doc.project.root == small_project


def test_a_failed_save_as_into_a_folder_keeps_what_was_there(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    _edit(window)
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    (chosen / "notes.txt").write_text("mine")
    real = store.atomic_write_chunks

    def full_disk(path, *args, **kw):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(chosen)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, *args, **kw)

    monkeypatch.setattr(store, "atomic_write_chunks", full_disk)
    assert not window.save(chosen)
    assert sorted(p.name for p in chosen.iterdir()) == ["notes.txt"]
    assert (chosen / "notes.txt").read_text() == "mine"
    window.doc.stack.setClean()


# ------------------------------------------------------------------ messages in words
def test_the_close_prompt_save_says_a_failure_in_words(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """It said "[Errno 13] Permission denied: '.../.project.json.d_qoy7cc.tmp'"."""
    _open(qtbot, window, small_project)
    _edit(window)
    _refuse_writes_under(monkeypatch, small_project)
    monkeypatch.setattr(window, "ask", lambda *a: Button.Save)
    assert not window.files.confirm_discard()
    message = window._last_error
    _in_words(message)
    assert str(small_project) in message and "Permission denied" in message
    assert "the previous file is unchanged" in message
    assert window.doc.modified
    window.doc.stack.setClean()


def test_background_and_waiting_saves_say_the_same(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, small_project)
    _edit(window)
    _refuse_writes_under(monkeypatch, small_project)
    assert window.files.save(wait=False)
    window.files.wait_for_save()
    in_background = window._last_error
    assert not window.files.save(wait=True)
    assert window._last_error == in_background
    _in_words(in_background)
    window.doc.stack.setClean()


def test_save_as_into_a_read_only_folder_says_so_in_words(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """It said "[Errno 13] Permission denied: '.../ro_parent/new'"."""
    _open(qtbot, window, small_project)
    _edit(window)
    parent = tmp_path / "ro_parent"
    parent.mkdir()
    _refuse_writes_under(monkeypatch, parent)
    assert not window.save(parent / "new")
    _in_words(window._last_error)
    assert str(parent / "new") in window._last_error
    assert "Permission denied" in window._last_error
    assert window.doc.modified
    window.doc.stack.setClean()


def test_save_as_onto_a_file_says_so_in_words(qtbot, window, small_project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """It said "[Errno 20] Not a directory: '.../a_file/images'"."""
    _open(qtbot, window, small_project)
    _edit(window)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert not window.save(a_file)
    _in_words(window._last_error)
    assert str(a_file) in window._last_error and "is a file" in window._last_error
    assert a_file.read_text() == "x"
    window.doc.stack.setClean()


# ------------------------------------------------------------------ read-only folder
def test_a_project_in_a_read_only_folder_opens_and_says_so(
    qtbot, window, small_project, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The open counted as failed with "[Errno 13] ... .vertapp" while the project was on
    screen and editable, unjournalled, with no word that the folder is read-only."""
    shutil.rmtree(small_project / store.STATE_DIR, ignore_errors=True)
    _refuse_writes_under(monkeypatch, small_project)
    _open(qtbot, window, small_project)  # the open is done: loaded(True)
    message = window._last_error
    _in_words(message)
    assert str(small_project) in message and "cannot be written" in message
    assert "Save project as" in message
    assert len(window.doc.image_ids) == 1
    project = window.doc.project
    assert project.journal is None and not project.apply_hooks  # nothing half attached
    _edit(window)
    full = tmp_path / "full"
    real = store.atomic_write_chunks

    def full_disk(path, *args, **kw):  # type: ignore[no-untyped-def]
        if full in Path(path).parents:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, *args, **kw)

    told: list[str] = []
    monkeypatch.setattr(window, "show_error", told.append)
    monkeypatch.setattr(store, "atomic_write_chunks", full_disk)
    assert not window.save(full)  # the read-only word is not said again with it
    assert len(told) == 1 and "No space left" in told[0], told
    monkeypatch.setattr(store, "atomic_write_chunks", real)
    copy = tmp_path / "copy"
    assert window.save(copy), told
    assert _saved_labels(copy) == ["T9"]
    assert isinstance(window.doc.project.journal, store.Journal)  # protected from now on


# --------------------------------------------------------------- files.py, directly
def _radiograph_project() -> tuple[store.Project, int]:
    from vertapp.annotations.model import ImageRecord

    project = store.Project(label_set="parts")
    rec = ImageRecord(
        id=1,
        file_name="images/x.png",
        width=6,
        height=4,
        kind="radiograph",
        source_path="volumes/x.png",
    )
    project.add_image(rec)
    return project, rec.id


def test_write_images_writes_lost_files_from_memory_and_names_the_rest(tmp_path) -> None:
    from PIL import Image

    from vertapp.gui.document.files import write_images

    project, image_id = _radiograph_project()
    shown = np.arange(24, dtype=np.uint8).reshape(4, 6)
    own = (np.arange(24, dtype=np.uint16) * 1000).reshape(4, 6)
    gone = tmp_path / "gone"  # the old folder, deleted
    new = tmp_path / "new"
    missing = write_images(
        project, {}, {}, new, gone, cached={image_id: shown}, cached_raw={image_id: own}
    )
    assert missing == []
    assert np.array_equal(np.asarray(Image.open(new / "images" / "x.png")), shown)
    assert np.array_equal(np.asarray(Image.open(new / "volumes" / "x.png")), own)

    again = tmp_path / "again"
    assert write_images(project, {}, {}, again, gone) == ["volumes/x.png", "images/x.png"]


def test_save_as_copies_the_scan_and_preprocessing_of_a_ct_not_opened(tmp_path) -> None:
    from vertapp.annotations.model import ImageRecord
    from vertapp.gui.document.files import write_images

    old, new = tmp_path / "old", tmp_path / "new"
    for name, data in (
        ("images/ct-a.png", b"png"),
        ("volumes/ct-a.nii.gz", b"scan"),
        ("preprocess/ct-a/preprocess.json", b"{}"),
        ("preprocess/ct-a/mip.npy", b"mip"),
    ):
        (old / name).parent.mkdir(parents=True, exist_ok=True)
        (old / name).write_bytes(data)
    project = store.Project()
    project.add_image(ImageRecord(1, "images/ct-a.png", 4, 4, source_path="volumes/ct-a.nii.gz"))
    project.add_image(ImageRecord(2, "images/ct-b.png", 4, 4, source_path="volumes/ct-b.nii.gz"))
    missing = write_images(project, {}, {}, new, old)  # neither CT opened this session
    assert (new / "volumes/ct-a.nii.gz").read_bytes() == b"scan"
    assert (new / "preprocess/ct-a/mip.npy").read_bytes() == b"mip"
    assert (new / "images/ct-a.png").read_bytes() == b"png"
    assert missing == ["volumes/ct-b.nii.gz", "images/ct-b.png"]  # what the old folder lacks


def test_folder_before_removes_only_what_the_save_made(tmp_path) -> None:
    from vertapp.gui.document.files import FolderBefore

    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "mine.txt").write_text("mine")
    (kept / "old").mkdir()
    before = FolderBefore.of(kept)
    (kept / "images").mkdir()
    (kept / "images" / "m.png").write_bytes(b"x")
    (kept / "old" / "inside.txt").write_text("x")  # inside what was there: left alone
    (kept / ".project.json.a1.tmp").write_text("x")
    before.remove_new()
    assert sorted(p.name for p in kept.iterdir()) == ["mine.txt", "old"]

    made = FolderBefore.of(tmp_path / "a" / "b" / "c")
    (tmp_path / "a" / "b" / "c" / "images").mkdir(parents=True)
    made.remove_new()
    assert not (tmp_path / "a").exists() and kept.is_dir()
