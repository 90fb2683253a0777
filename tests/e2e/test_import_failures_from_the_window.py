"""File > Import labelled CT… leaves nothing of a case that failed, as `vertapp import`
does: a case that failed once its CT was written left it in the project, named by
nothing; an empty window's import that failed or was cancelled left the empty project it
had made for it (project.json, .vertapp/) open and on disk, a project that looked valid.
The message names the case by its neutral name while names are hidden, never the path."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from tests.e2e.test_import_from_the_window import (
    CT,
    LABELS,
    PATIENT,
    _new_project_dialog,
    _opened,
    _wait_for_import,
)
from vertapp.annotations import store
from vertapp.ctimport import CaseSpec
from vertapp.ctimport.case import hidden_image_name

pytestmark = pytest.mark.gui


def _cut_short(folder: Path) -> CaseSpec:
    """A CT and label map named after the patient, both downloads cut short."""
    folder.mkdir(parents=True, exist_ok=True)
    ct, labels = folder / f"{PATIENT}_ct.nii.gz", folder / f"{PATIENT}_seg.nii.gz"
    ct.write_bytes(b"cut short" * 20)
    labels.write_bytes(b"cut short too")
    return CaseSpec(ct, labels)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _fill_the_disk_for(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The disk fills up while the case `name`'s preprocessing is saved: its CT, labels
    and MIP are written by then, and one file of the preprocessing."""
    from vertapp.preprocess import MipResult

    real = MipResult.save

    def save(self: MipResult, folder: str | Path) -> Path:
        if Path(folder).name != f"{name}_mip":
            return real(self, folder)
        Path(folder).mkdir(parents=True)
        (Path(folder) / "mip.npy").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(MipResult, "save", save)


@pytest.mark.parametrize("there", [False, True], ids=["new folder", "empty folder"])
def test_an_empty_window_whose_import_fails_keeps_no_project(
    qtbot, window, tmp_path, monkeypatch, there
) -> None:  # type: ignore[no-untyped-def]
    spec = _cut_short(tmp_path / "data")
    folder = tmp_path / "new project"
    if there:
        folder.mkdir()
    _new_project_dialog(monkeypatch, folder)
    assert window.importer.start(spec)
    _wait_for_import(qtbot, window)
    if there:
        assert _tree(folder) == set()
        left = "new project was left as it was"
    else:
        assert not folder.exists()
        left = "no project was created (new project is not there)"
    assert window.doc.project.root is None and not window.doc.image_ids  # empty again
    assert window.panel.summary.text() == "No project"  # as at start (was ": 0 images")
    said = window._last_error
    name = hidden_image_name(spec.ct)  # names hidden (the default)
    assert said.startswith(f"{name} not imported (none of its files kept): the CT: "), said
    assert "corrupt or truncated gzip data" in said and said.endswith(f"; {left}"), said
    assert PATIENT not in said and str(tmp_path) not in said


def test_an_empty_window_whose_import_is_cancelled_keeps_no_project(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "new project"
    _new_project_dialog(monkeypatch, folder)
    assert window.importer.start(CaseSpec(CT, LABELS))
    window.jobs.cancel()
    _wait_for_import(qtbot, window)
    assert not folder.exists()
    assert window.doc.project.root is None and not window.doc.image_ids
    assert "Nothing imported: no project was created" in window.statusBar().currentMessage()


def test_a_case_that_fails_after_writing_leaves_none_of_its_files(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """One case imported, the next (the same CT again) fails as its preprocessing is
    saved: only the first case's files are in the project, and it is listed."""
    _opened(qtbot, window, small_project)
    assert window.importer.start(CaseSpec(CT, LABELS))
    _wait_for_import(qtbot, window)
    first = hidden_image_name(CT)
    kept = _tree(small_project)
    assert f"volumes/{first}.nii.gz" in kept and f"preprocess/{first}_mip" in kept
    _fill_the_disk_for(monkeypatch, f"{first}-2")  # the second import's unique name
    assert window.importer.start(CaseSpec(CT, LABELS))
    _wait_for_import(qtbot, window)
    assert window._last_error == (
        f"{first}-2 not imported (none of its files kept): "
        "OSError: [Errno 28] No space left on device"
    )
    assert _tree(small_project) == kept
    assert window.doc.project.root == small_project and len(window.doc.image_ids) == 2
    saved = store.load_project(small_project, require_images=True)
    assert sorted(img.file_name for img in saved.images.values()) == [
        f"images/{first}_mip.png",
        "images/m.png",
    ]
