"""File > Import labelled CT… and Import landmark radiographs… as a user meets them
(UX audit, round 10): an empty window can start an import (it asked to "Save the project
first" while Save as was greyed out); the import summary is still in the status bar once
the save has ended (the "Saved" replaced it); a CT named only by its patient's folder is
listed under a digest; a reader's note is no warning box; the dialog can browse to a
folder and shows a whole path. Round 13: with names hidden (the default) a CT named after
its patient (DOE_JOHN/DOE_JOHN.nii.gz) is imported under File > Open's neutral name, in
its files, project.json, patient key, status bar and log; names shown, under its own."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from tests.unit.xray.test_landmarks import NAMES, _dataset
from vertapp.annotations import store
from vertapp.ctimport import CaseSpec
from vertapp.ctimport.case import hidden_image_name

pytestmark = pytest.mark.gui

VERSE = Path(__file__).resolve().parents[1] / "data" / "verse"
CT = VERSE / "sub-verse006_ct.nii.gz"  # float voxels: the reader rounds them (a note)
LABELS = VERSE / "sub-verse006_seg-vert_msk.nii.gz"
PATIENT = "DOE_JOHN"


def _new_project_dialog(monkeypatch, folder: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Save as's folder dialog answers `folder`; returns the titles it was asked with."""
    from vertapp.gui.window import save_dialog

    asked: list[str] = []

    def answer(parent, title, start, filters, options=None):  # type: ignore[no-untyped-def]
        asked.append(title)
        return str(folder), ""

    monkeypatch.setattr(save_dialog.QFileDialog, "getSaveFileName", answer)
    return asked


def _import_dialog_gives(monkeypatch, spec: CaseSpec) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.import_dialog import ImportCTDialog

    monkeypatch.setattr(ImportCTDialog, "exec", lambda self: ImportCTDialog.DialogCode.Accepted)
    monkeypatch.setattr(ImportCTDialog, "spec", lambda self: spec)


def _wait_for_import(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not window.busy(), timeout=120_000)
    qtbot.wait(50)  # the worker's outcome slots run after its done mark
    window.files.wait_for_save()


def _status(window) -> str:  # type: ignore[no-untyped-def]
    return str(window.statusBar().currentMessage())


def test_an_empty_window_imports_a_ct_into_a_new_project_folder(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "new project"
    asked = _new_project_dialog(monkeypatch, folder)
    _import_dialog_gives(monkeypatch, CaseSpec(CT, LABELS))
    assert window.doc.project.root is None and not window.doc.image_ids
    window.act_import_ct.trigger()  # File > Import labelled CT…
    _wait_for_import(qtbot, window)
    assert "Save the project first" not in window._last_error
    assert len(asked) == 1  # the new project's folder was asked for, once
    assert window.doc.project.root == folder
    saved = store.load_project(folder)
    (image,) = saved.images.values()
    neutral = hidden_image_name(CT)  # names hidden (the default): File > Open's name
    assert image.file_name == f"images/{neutral}_mip.png" and saved.label_set == "vertebrae"
    assert not window.doc.modified


def test_the_import_summary_outlives_the_save_and_a_note_is_no_warning(
    qtbot, window, small_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.files_controller import FilesController

    saved_words: list[str] = []
    real = FilesController._saved
    monkeypatch.setattr(
        FilesController, "_saved", lambda self: (real(self), saved_words.append(_status(window)))
    )
    window.open_path(small_project)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1, timeout=20_000)
    assert window.importer.start(CaseSpec(CT, LABELS))
    _wait_for_import(qtbot, window)
    shown = saved_words[-1]  # what the status bar says once the import is saved
    neutral = hidden_image_name(CT)  # names hidden (the default)
    assert f"Imported {neutral}: L4, L5" in shown and "Saved" in shown, saved_words
    assert "rounded to whole HU" in shown  # the reader's note, said with the summary
    assert window._last_error == ""  # no warning box for a note
    assert not window.warning_bar.isVisible()


def test_a_ct_in_a_patient_folder_is_listed_and_saved_under_a_digest(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations.coco import project_to_coco

    case = tmp_path / "phi" / PATIENT
    case.mkdir(parents=True)
    shutil.copy(CT, case / "ct.nii.gz")
    shutil.copy(LABELS, case / "seg.nii.gz")
    window.open_path(small_project)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1, timeout=20_000)
    assert window.importer.start(CaseSpec(case / "ct.nii.gz", case / "seg.nii.gz"))
    _wait_for_import(qtbot, window)
    assert len(window.doc.image_ids) == 2
    rows = [window.panel.model.index(r).data() for r in range(2)]
    assert not any(PATIENT in str(row) for row in rows), rows
    assert PATIENT not in _status(window) and PATIENT not in window.windowTitle()
    assert not any(PATIENT in p.name for p in small_project.rglob("*"))
    assert PATIENT not in (small_project / "project.json").read_text()
    assert PATIENT not in json.dumps(project_to_coco(store.load_project(small_project)))


def _named_after_the_patient(tmp_path: Path) -> tuple[Path, Path]:
    """The audit's case: phi/DOE_JOHN/DOE_JOHN.nii.gz with DOE_JOHN_seg.nii.gz beside it."""
    case = tmp_path / "phi" / PATIENT
    case.mkdir(parents=True)
    shutil.copy(CT, case / f"{PATIENT}.nii.gz")
    shutil.copy(LABELS, case / f"{PATIENT}_seg.nii.gz")
    return case / f"{PATIENT}.nii.gz", case / f"{PATIENT}_seg.nii.gz"


def _import_saying(qtbot, window, spec: CaseSpec) -> list[str]:  # type: ignore[no-untyped-def]
    """Import `spec`; every status bar text shown meanwhile, the last one included."""
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    assert window.importer.start(spec)
    _wait_for_import(qtbot, window)
    return [*said, _status(window)]


def _opened(qtbot, window, project: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_path(project)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1, timeout=20_000)


def test_names_hidden_a_ct_named_after_its_patient_is_imported_under_a_neutral_name(
    qtbot, window, small_project, tmp_path, caplog
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations.coco import project_to_coco

    ct, labels = _named_after_the_patient(tmp_path)
    _opened(qtbot, window, small_project)
    assert window.act_hide_identifiers.isChecked()  # the default
    with caplog.at_level(logging.DEBUG):
        said = _import_saying(qtbot, window, CaseSpec(ct, labels))
    neutral = hidden_image_name(ct)  # the name File > Open gives this file
    assert any(f"Imported {neutral}: L4, L5" in words for words in said), said
    assert not [words for words in said if PATIENT in words]
    assert not [r.getMessage() for r in caplog.records if PATIENT in r.getMessage()]
    assert not [p for p in small_project.rglob("*") if PATIENT in p.name]
    assert PATIENT not in (small_project / "project.json").read_text()
    saved = store.load_project(small_project)
    assert PATIENT not in json.dumps(project_to_coco(saved))
    image = next(img for img in saved.images.values() if img.source_path)
    assert image.file_name == f"images/{neutral}_mip.png"
    assert image.source_path == f"volumes/{neutral}.nii.gz"
    assert image.patient_key == neutral  # one file, one patient: as File > Open keys it
    rows = [str(window.panel.model.index(r).data()) for r in range(2)]
    assert not [row for row in rows if PATIENT in row], rows
    assert PATIENT not in window.windowTitle() and PATIENT not in window._last_error


def test_names_hidden_a_name_typed_in_the_dialog_is_kept(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ct, labels = _named_after_the_patient(tmp_path)
    _opened(qtbot, window, small_project)
    said = _import_saying(qtbot, window, CaseSpec(ct, labels, name="case 7"))
    assert any("Imported case_7: L4, L5" in words for words in said), said
    saved = store.load_project(small_project)
    assert any(img.file_name == "images/case_7_mip.png" for img in saved.images.values())


def test_names_shown_a_ct_is_imported_under_its_own_name(
    qtbot, window, small_project, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ct, labels = _named_after_the_patient(tmp_path)
    _opened(qtbot, window, small_project)
    window.act_hide_identifiers.setChecked(False)  # the user opts in: names as before
    said = _import_saying(qtbot, window, CaseSpec(ct, labels))
    assert any(f"Imported {PATIENT}: L4, L5" in words for words in said), said
    saved = store.load_project(small_project)
    image = next(img for img in saved.images.values() if img.source_path)
    assert image.file_name == f"images/{PATIENT}_mip.png" and image.patient_key == PATIENT
    assert (small_project / "volumes" / f"{PATIENT}_labels.nii.gz").is_file()


def test_the_import_dialog_says_what_an_empty_name_gives(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.import_dialog import ImportCTDialog

    placeholders: list[str] = []

    def shown(dialog: ImportCTDialog) -> ImportCTDialog.DialogCode:
        placeholders.append(dialog.name.placeholderText())
        return ImportCTDialog.DialogCode.Rejected

    monkeypatch.setattr(ImportCTDialog, "exec", shown)
    window.act_import_ct.trigger()  # names hidden (the default)
    window.act_hide_identifiers.setChecked(False)
    window.act_import_ct.trigger()
    hidden_words, shown_words = placeholders
    assert "neutral" in hidden_words and "file name" not in hidden_words
    assert shown_words == "from the CT's file name"


def test_an_empty_window_imports_landmark_radiographs_into_a_new_project(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    from vertapp.gui.window.files_controller import FilesController

    dataset = _dataset(tmp_path / "aasce")
    folder = tmp_path / "films project"
    _new_project_dialog(monkeypatch, folder)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(dataset))
    saved_words: list[str] = []
    real = FilesController._saved
    monkeypatch.setattr(
        FilesController, "_saved", lambda self: (real(self), saved_words.append(_status(window)))
    )
    action = next(
        a
        for a in window.findChildren(type(window.act_save))
        if a.text() == "Import landmark radio&graphs…"
    )
    action.trigger()
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == len(NAMES), timeout=30_000)
    window.files.wait_for_save()
    assert "Save the project first" not in window._last_error
    saved = store.load_project(folder)
    assert saved.label_set == "parts" and len(saved.images) == len(NAMES)
    assert f"Imported {len(NAMES)} radiographs" in saved_words[-1], saved_words
    assert "Saved" in saved_words[-1]


def test_cancelling_the_new_project_folder_imports_nothing(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window import save_dialog

    monkeypatch.setattr(save_dialog.QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert not window.importer.start(CaseSpec(CT, LABELS))
    assert window.doc.project.root is None and not window.busy()


def test_the_import_dialog_browses_to_folders_and_shows_whole_paths(
    qtbot, window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from vertapp.gui.window.import_dialog import ImportCTDialog

    dicom = tmp_path / "exports" / "a DICOM series"
    segmentations = tmp_path / "exports" / "segmentations"
    dialog = ImportCTDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.minimumWidth() >= 600  # it opened 336 px wide: every path was cut
    folder_buttons = [b for b in dialog.findChildren(QPushButton) if b.text() == "Folder…"]
    assert len(folder_buttons) == 2  # the CT (a DICOM folder) and the labels (TotalSeg)
    answers = iter([str(dicom), str(segmentations)])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: next(answers))
    for button in folder_buttons:
        button.click()
    assert (dialog.ct.text(), dialog.labels.text()) == (str(dicom), str(segmentations))
    dialog.name.setText("case 12")
    spec = dialog.spec()
    assert (spec.ct, spec.labels, spec.name) == (dicom, segmentations, "case 12")


def test_a_dataset_folder_chosen_as_the_ct_says_how_to_import_it(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The verse-train folder chosen for both fields said "no DICOM files found in folder"
    (with its full path, names hidden): the dialog imports one case; the words now point
    to the command that imports a dataset, and nothing is made."""
    data = tmp_path / "DOE_STUDY"
    data.mkdir()
    for k in (1, 2):
        shutil.copy(CT, data / f"sub-case{k}_ct.nii.gz")
        shutil.copy(LABELS, data / f"sub-case{k}_seg-vert_msk.nii.gz")
    assert not window.importer.start(CaseSpec(data, data))
    message = window._last_error
    assert "holds a dataset of 2 labelled CT(s)" in message and "vertapp import" in message
    assert "DOE_STUDY" not in message  # names hidden: "this folder"
    assert window.doc.project.root is None and not window.doc.image_ids
