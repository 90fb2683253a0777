"""File > Import labelled CT…: a real VerSe CT with its labels joins the open project."""

from __future__ import annotations

from pathlib import Path

import SimpleITK as sitk

from vertapp.annotations import store
from vertapp.ctimport import CaseSpec
from vertapp.ctimport.case import hidden_image_name

VERSE = Path(__file__).resolve().parents[1] / "data" / "verse"
CT = VERSE / "sub-verse006_ct.nii.gz"
LABELS = VERSE / "sub-verse006_seg-vert_msk.nii.gz"


def _run(qtbot, window, spec: CaseSpec) -> None:  # type: ignore[no-untyped-def]
    assert window.importer.start(spec)
    qtbot.waitUntil(lambda: not window.busy(), timeout=120000)
    qtbot.wait(50)  # the worker's outcome slots run after its done mark


def test_import_adds_the_case_and_lists_it(qtbot, window, small_project: Path) -> None:  # type: ignore[no-untyped-def]
    window.open_path(small_project)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1, timeout=20000)
    before = set(window.doc.project.images)
    _run(qtbot, window, CaseSpec(ct=CT, labels=LABELS, vocabulary="verse"))
    new = set(window.doc.project.images) - before
    assert len(new) == 1
    record = window.doc.project.images[new.pop()]
    assert sorted(inst.label for inst in record.instances) == ["L4", "L5"]
    assert window.panel.list.model().rowCount() == 2
    assert record.id in window.doc.image_ids
    assert window.doc.current_id == record.id
    window.files.wait_for_save()
    saved = store.load_project(small_project)  # the import was saved as usual
    # names hidden (the default): File > Open's neutral name, never the CT's file name
    shown = f"{hidden_image_name(CT)}_mip.png"
    assert any(img.file_name.endswith(shown) for img in saved.images.values())
    assert not window.doc.modified  # saved: nothing to ask about at close


def test_an_import_whose_save_failed_counts_as_unsaved(  # type: ignore[no-untyped-def]
    qtbot, window, small_project: Path, monkeypatch
) -> None:
    """The save after the import fails (here another program rewrote project.json): the
    case is only in the window and its journal, so closing must ask, not drop it."""
    import json

    from PySide6.QtWidgets import QMessageBox

    window.open_path(small_project)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1, timeout=20000)
    data = json.loads((small_project / "project.json").read_text())
    data.setdefault("info", {})["note"] = "touched by another program"
    (small_project / "project.json").write_text(json.dumps(data))
    _run(qtbot, window, CaseSpec(ct=CT, labels=LABELS, vocabulary="verse"))
    window.files.wait_for_save()
    assert len(window.doc.project.images) == 2 and window.doc.modified
    asked = []
    monkeypatch.setattr(
        window, "ask", lambda *a: asked.append(a[0]) or QMessageBox.StandardButton.Cancel
    )
    assert not window.close() and asked == ["Unsaved edits"]
    window.doc.stack.setClean()


def test_labels_that_miss_the_ct_give_a_message(
    qtbot, window, small_project: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    labels = sitk.ReadImage(str(LABELS))
    x, y, z = labels.GetOrigin()
    labels.SetOrigin((x, y, z + 400.0))  # another scan's frame: no voxel reaches the CT
    moved = tmp_path / "moved_seg-vert_msk.nii.gz"
    sitk.WriteImage(labels, str(moved))
    window.open_path(small_project)
    qtbot.waitUntil(lambda: len(window.doc.image_ids) == 1, timeout=20000)
    _run(qtbot, window, CaseSpec(ct=CT, labels=moved, vocabulary="verse"))
    assert "do not overlap the CT" in window._last_error
    assert "Traceback" not in window._last_error
    assert len(window.doc.project.images) == 1


def test_an_untitled_scan_must_be_saved_first(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An untitled scan is saved with Save as (enabled then) before an import joins it;
    an empty window instead gets a new project (test_import_from_the_window.py)."""
    import cv2
    import numpy as np

    from tests.e2e.window_driver import open_and_wait

    film = tmp_path / "film.png"
    cv2.imwrite(str(film), np.full((80, 40), 100, np.uint8))
    open_and_wait(qtbot, window, film)
    assert not window.importer.start(CaseSpec(ct=CT, labels=LABELS))
    assert "Save the project first" in window._last_error and window.act_save_as.isEnabled()


def test_the_file_menu_and_dialog_give_the_spec(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.import_dialog import ImportCTDialog

    file_menu = window.menuBar().actions()[0].menu()
    assert window.act_import_ct in file_menu.actions()
    dialog = ImportCTDialog(window, tmp_path)
    qtbot.addWidget(dialog)
    dialog.ct.setText(str(CT))
    dialog.labels.setText(str(LABELS))
    dialog.table.setText(str(tmp_path / "ids.json"))
    assert not dialog.table.isEnabled() and dialog.spec().table is None
    dialog.vocabulary.setCurrentIndex(dialog.vocabulary.findData("table"))
    spec = dialog.spec()
    assert dialog.table.isEnabled()
    assert (spec.ct, spec.labels, spec.vocabulary) == (CT, LABELS, "table")
    assert spec.table == tmp_path / "ids.json"
