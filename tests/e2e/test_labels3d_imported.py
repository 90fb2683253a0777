"""File > Export 3D labels… on a project image made by File > Import labelled CT… /
`vertapp import`: the window shows the project's LPS copy of the CT (volumes/), not the
scan's own file, and the project does not keep the original's path (it may name the
patient). The export still writes what `vertapp backproject` writes from the original:
the NIfTI on the original file's grid, a SEG against the original DICOM series (chosen
in the dialog, only read), and says so in words when only the copy's grid is known.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from tests.e2e.window_driver import open_and_wait
from vertapp.gui.window.labels3d_jobs import COPY_NAME, NIFTI_NAME, CtSource, ExportChoice

pytestmark = [pytest.mark.gui, pytest.mark.slow]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A T12..L2 phantom stored PIR (as VerSe stores its CTs) and as a DICOM series, each
    imported with its labels into a project of its own, as `vertapp import` does."""
    from vertapp.ctimport import CaseSpec, import_to_folder_job
    from vertapp.jobs import run_job
    from vertapp.synth import make_ct_phantom, write_dicom_series

    ph = make_ct_phantom(seed=3, first="T12", last="L2")
    root = tmp_path_factory.mktemp("imported")

    def image(array: np.ndarray) -> sitk.Image:
        img = sitk.GetImageFromArray(array)
        img.SetSpacing(ph.volume.spacing)
        img.SetOrigin(ph.volume.origin)
        img.SetDirection([float(v) for v in ph.volume.direction.reshape(9)])
        return img

    (root / "scans").mkdir()
    ct, labels = root / "scans" / "sub-x_ct.nii.gz", root / "scans" / "sub-x_seg.nii.gz"
    sitk.WriteImage(sitk.DICOMOrient(image(ph.volume.array), "PIR"), str(ct))
    verse = np.where(ph.vertebra_labels > 0, ph.vertebra_labels + 7, 0).astype(np.uint8)
    sitk.WriteImage(sitk.DICOMOrient(image(verse), "PIR"), str(labels))
    series = root / "scans" / "DOE_JOHN"
    write_dicom_series(ph.volume, series, seed=3)
    for name, spec in (("nifti", CaseSpec(ct, labels)), ("dicom", CaseSpec(series, labels))):
        report = run_job(import_to_folder_job(root / name, [spec]))
        assert not report.failed, report.failed
    return {"ct": ct, "series": series, "nifti": root / "nifti", "dicom": root / "dicom"}


def _open_copy(qtbot, window, project: Path, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A fresh copy of the project opened in the window, its CT (the copy) on screen."""
    folder = tmp_path / project.name
    shutil.copytree(project, folder)
    open_and_wait(qtbot, window, folder)
    qtbot.waitUntil(lambda: window.labels3d._ct is not None, timeout=60_000)
    return folder


def _export(qtbot, window, choice: ExportChoice) -> bool:  # type: ignore[no-untyped-def]
    ctl = window.labels3d
    with qtbot.waitSignal(ctl.export_done, timeout=120_000) as done:
        assert ctl.export(choice)
    return bool(done.args[0])


def _grid(path: Path) -> tuple:  # type: ignore[type-arg]
    img = sitk.ReadImage(str(path))
    return img.GetSize(), img.GetSpacing(), img.GetOrigin(), img.GetDirection()


def _assert_same_grid(out: Path, src: Path | sitk.Image) -> None:
    got = _grid(out)
    want = (
        _grid(src)
        if isinstance(src, Path)
        else (src.GetSize(), src.GetSpacing(), src.GetOrigin(), src.GetDirection())
    )
    assert got[0] == want[0]
    for a, b in zip(got[1:], want[1:], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_an_imported_ct_exports_on_the_original_files_grid(
    qtbot, window, imported, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Even with the original moved away: the import recorded how it was stored."""
    original = tmp_path / "moved_ct.nii.gz"
    shutil.copyfile(imported["ct"], original)  # the test's own copy: the module's stays
    _open_copy(qtbot, window, imported["nifti"], tmp_path)
    choice = ExportChoice(tmp_path / "out")
    assert _export(qtbot, window, choice), window._last_error
    nifti, centroids = choice.paths()
    _assert_same_grid(nifti, original)
    source = window.labels3d.export_source()
    assert source == CtSource(copy=True, orientation="PIR", original_dicom=False)
    assert json.loads(centroids.read_text())[0] == {"direction": ["P", "I", "R"]}
    assert "LPS copy" not in window.statusBar().currentMessage()


def test_a_project_that_does_not_say_exports_on_the_copys_grid_and_says_so(
    qtbot, window, imported, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """An image imported before the stored orientation was recorded."""
    folder = tmp_path / "old"
    shutil.copytree(imported["nifti"], folder)
    data = json.loads((folder / "project.json").read_text())
    for img in data["images"]:
        for key in ("ct_stored_orientation", "ct_dicom"):
            img["vertapp"]["import"].pop(key)
    (folder / "project.json").write_text(json.dumps(data))
    open_and_wait(qtbot, window, folder)
    qtbot.waitUntil(lambda: window.labels3d._ct is not None, timeout=60_000)
    assert window.labels3d.export_source().on_copy_grid
    choice = ExportChoice(tmp_path / "out", stem=COPY_NAME)
    assert _export(qtbot, window, choice), window._last_error
    (copy,) = (folder / "volumes").glob("sub-x.nii.gz")
    _assert_same_grid(choice.nifti, copy)
    assert "on the grid of the project's LPS copy" in window.statusBar().currentMessage()
    # the original chosen in the dialog: its grid, and no more words about the copy
    choice = ExportChoice(tmp_path / "out2", original=imported["ct"])
    assert _export(qtbot, window, choice), window._last_error
    _assert_same_grid(choice.nifti, imported["ct"])
    assert "LPS copy" not in window.statusBar().currentMessage()


def test_a_ct_imported_from_dicom_gets_a_seg_on_its_original_series(
    qtbot, window, imported, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    _open_copy(qtbot, window, imported["dicom"], tmp_path)
    ctl = window.labels3d
    assert not ctl.can_seg()  # the copy is a NIfTI: the series must be chosen
    assert ctl.export_source().original_dicom is True
    assert not _export(qtbot, window, ExportChoice(tmp_path / "o", seg=True))
    assert "original DICOM series" in window._last_error
    assert not ctl.export(ExportChoice(tmp_path / "o", seg=True, original=tmp_path / "gone"))
    assert "not there" in window._last_error
    series = imported["series"]
    choice = ExportChoice(tmp_path / "o", seg=True, original=series)
    assert _export(qtbot, window, choice), window._last_error
    nifti, _centroids, seg_path = choice.paths()
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(series)))
    _assert_same_grid(nifti, reader.Execute())
    seg = pydicom.dcmread(seg_path)
    sources = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in series.iterdir()
    }
    (ref,) = seg.ReferencedSeriesSequence
    assert {str(i.ReferencedSOPInstanceUID) for i in ref.ReferencedInstanceSequence} <= sources
    assert str(seg.PatientName) == ""  # keep_identifiers was not chosen
    assert not any("DOE" in p.name for p in choice.paths())


def test_the_dialog_says_what_the_copy_means(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.labels3d_dialog import COPY_NOTE, Export3DDialog

    unknown = Export3DDialog(None, tmp_path, False, CtSource(copy=True, original_dicom=True))
    qtbot.addWidget(unknown)
    assert "does not record how the original was stored" in unknown.grid.text()
    assert unknown.stem.text() == COPY_NAME  # named as what it is: the copy's grid
    assert not unknown.seg.isEnabled() and "choose it" in unknown.seg.toolTip()
    assert unknown.choice().original is None
    unknown.original.setText(str(tmp_path / "series"))
    assert unknown.seg.isEnabled() and unknown.seg.isChecked()
    assert not unknown.keep_ids.isChecked()  # identifiers: still opt in
    assert unknown.stem.text() == NIFTI_NAME and "chosen below" in unknown.grid.text()
    choice = unknown.choice()
    assert choice.original == tmp_path / "series" and choice.seg
    assert not choice.keep_identifiers

    known = Export3DDialog(None, tmp_path, False, CtSource(copy=True, orientation="PIR"))
    qtbot.addWidget(known)
    assert "stored PIR" in known.grid.text() and known.stem.text() == NIFTI_NAME
    assert any(w.text() == COPY_NOTE for w in known.findChildren(type(known.grid)))
    file_ct = Export3DDialog(
        None, tmp_path, False, CtSource(copy=True, orientation="PIR", original_dicom=False)
    )
    qtbot.addWidget(file_ct)
    file_ct.original.setText(str(tmp_path / "ct.nii.gz"))
    assert not file_ct.seg.isEnabled() and "not a DICOM series" in file_ct.seg.toolTip()

    opened = Export3DDialog(None, tmp_path, True)  # a CT opened from its series: as before
    qtbot.addWidget(opened)
    assert opened.seg.isChecked() and not opened.original.isVisible()


# ---- View > Hide names and paths (round 13): the Folder field showed the project's path


PATIENT = "DOE_JOHN"


def test_names_hidden_the_folder_field_shows_no_path_and_writes_the_real_one(
    qtbot, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from vertapp.gui.window.labels3d_dialog import Export3DDialog
    from vertapp.review.hidden_paths import FOLDER

    folder = tmp_path / PATIENT / "project"
    source = CtSource(copy=True, orientation="PIR")
    hidden = Export3DDialog(None, folder, False, source, names_hidden=True)
    qtbot.addWidget(hidden)
    assert hidden.folder.text() == FOLDER and PATIENT not in hidden.folder.toolTip()
    assert hidden.choice().folder == folder  # the export still goes where it went
    hidden.folder.setText(f"{FOLDER}/exports")
    assert hidden.choice().folder == folder / "exports"
    hidden.folder.setText("exports")  # a bare name: inside the folder, not the working one
    assert hidden.choice().folder == folder / "exports"
    hidden.folder.setText(str(tmp_path / "mine"))  # a whole path typed: the user's own
    assert hidden.choice().folder == tmp_path / "mine"
    chosen = tmp_path / PATIENT / "chosen"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(chosen))
    next(b for b in hidden.findChildren(QPushButton) if b.text() == "Browse…").click()
    assert hidden.folder.text() == FOLDER and hidden.choice().folder == chosen

    assert "the folder chosen" in hidden.folder_note.text()
    project = Export3DDialog(None, folder, False, source, names_hidden=True)
    qtbot.addWidget(project)
    assert "project's folder" in project.folder_note.text()
    untitled = Export3DDialog(None, None, True, names_hidden=True)  # a CT opened, no project
    qtbot.addWidget(untitled)
    assert "last export" in untitled.folder_note.text()  # "…" is not a project's folder

    shown = Export3DDialog(None, folder, False, source)  # names shown: as before
    qtbot.addWidget(shown)
    assert shown.folder.text() == str(folder) and shown.choice().folder == folder
    assert shown.folder_note.isHidden()


def test_names_hidden_the_original_ct_field_shows_no_path_and_reads_the_real_one(
    qtbot, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The Original CT field showed the picked series' whole path (often the patient's
    name) while the Folder field beside it said "…"."""
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from vertapp.gui.window.labels3d_dialog import Export3DDialog
    from vertapp.review.hidden_paths import FOLDER

    series = tmp_path / PATIENT / "CT_SERIES"
    source = CtSource(copy=True, original_dicom=True)
    hidden = Export3DDialog(None, tmp_path, False, source, names_hidden=True)
    qtbot.addWidget(hidden)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(series))
    next(b for b in hidden.findChildren(QPushButton) if b.text() == "Folder…").click()
    assert hidden.original.text() == FOLDER and PATIENT not in hidden.original.toolTip()
    choice = hidden.choice()
    assert choice.original == series and choice.seg  # the real series is read
    hidden.original.setText(str(tmp_path / "other"))  # typed: the user's own
    assert hidden.choice().original == tmp_path / "other"
    hidden.original.setText("")
    assert hidden.choice().original is None

    shown = Export3DDialog(None, tmp_path, False, source)
    qtbot.addWidget(shown)
    next(b for b in shown.findChildren(QPushButton) if b.text() == "Folder…").click()
    assert shown.original.text() == str(series) and shown.choice().original == series


def test_the_dialog_has_no_gap_around_its_note(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The note's row kept the height of six wrapped lines for three: empty lines above
    and below it (audit screenshot s5_export3d_dialog.png)."""
    from PySide6.QtWidgets import QLabel

    from vertapp.gui.window.labels3d_dialog import COPY_NOTE, Export3DDialog

    dialog = Export3DDialog(None, tmp_path, False, CtSource(copy=True, orientation="PIR"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    note = next(w for w in dialog.findChildren(QLabel) if w.text() == COPY_NOTE)
    assert note.height() <= note.heightForWidth(note.width()) + 2, note.geometry()
    layout = dialog.layout()
    assert dialog.height() <= layout.totalHeightForWidth(dialog.width()) + 2


def test_names_hidden_file_export_3d_labels_shows_no_project_path(
    qtbot, window, imported, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.labels3d_dialog import Export3DDialog
    from vertapp.review.hidden_paths import FOLDER

    folder = tmp_path / PATIENT / "project"
    shutil.copytree(imported["nifti"], folder)
    open_and_wait(qtbot, window, folder)
    qtbot.waitUntil(lambda: window.labels3d._ct is not None, timeout=60_000)
    seen: list[tuple[str, Path]] = []

    def shown(dialog: Export3DDialog) -> Export3DDialog.DialogCode:
        seen.append((dialog.folder.text(), dialog.choice().folder))
        return Export3DDialog.DialogCode.Rejected

    monkeypatch.setattr(Export3DDialog, "exec", shown)
    window.act_export_labels3d.trigger()  # names hidden: the default
    window.act_hide_identifiers.setChecked(False)
    window.act_export_labels3d.trigger()
    assert seen == [(FOLDER, folder), (str(folder), folder)]
