"""Issue #15 in the window: the masks back-projected onto the axial slices, click to select,
File > Export 3D labels.

A T12..L2 phantom CT is opened; its true MIP masks (the 3D truth projected) stand in for
what a user draws. Edits must change the axial overlay after the debounce, a click on a
labelled voxel selects that vertebra's polygon, and the export writes files on the CT's
own grid (or says in words why it cannot).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from mouse_driver import click

from tests.e2e.window_driver import open_and_wait as _open
from vertapp.annotations import ops
from vertapp.annotations.geometry import mask_to_polygons
from vertapp.annotations.model import Instance
from vertapp.gui.window.labels3d_controller import DEBOUNCE_MS, PREVIEW
from vertapp.gui.window.labels3d_jobs import ExportChoice
from vertapp.labels import ID_VERTEBRA, VERSE_OFFSET, VERTEBRA_ID

pytestmark = [pytest.mark.gui, pytest.mark.slow]
L1 = VERTEBRA_ID["L1"]


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The CT file (stored RAS, so the export must undo the reorientation) and its true MIP masks."""
    from vertapp.io import read_volume
    from vertapp.preprocess import preprocess
    from vertapp.preprocess.label_projection import project_labels
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=3, first="T12", last="L2")
    image = sitk.GetImageFromArray(ph.volume.array)
    image.SetSpacing(ph.volume.spacing)
    image.SetOrigin(ph.volume.origin)
    image.SetDirection([float(v) for v in ph.volume.direction.reshape(9)])
    path = tmp_path_factory.mktemp("labels3d") / "ct.nii.gz"
    sitk.WriteImage(sitk.DICOMOrient(image, "RAS"), str(path))
    volume = read_volume(path)
    truth = project_labels(ph.vertebra_labels, ph.volume, preprocess(volume))
    return path, truth


def _add_masks(window, truth: np.ndarray, names: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    image_id = window.doc.current_id
    ids = {}
    for name in names:
        (ring, *_rest) = mask_to_polygons(truth == VERTEBRA_ID[name], tolerance=1.0)
        inst = Instance(id=window.doc.project.new_instance_id(), label=name, polygons=[ring])
        window.doc.edit(ops.AddInstance(image_id, inst), f"Add {name}")
        ids[name] = inst.id
    return ids


def _wait_updated(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.labels3d.updated, timeout=120_000):
        pass
    assert window.labels3d.pending is None


def _slice_with(window, vid: int) -> int:  # type: ignore[no-untyped-def]
    counts = (window.labels3d.shown.labels == vid).sum(axis=(1, 2))
    return int(np.argmax(counts))


def test_edits_change_the_axial_overlay_and_a_click_selects(qtbot, window, phantom) -> None:  # type: ignore[no-untyped-def]
    path, truth = phantom
    _open(qtbot, window, path)
    ctl = window.labels3d
    assert ctl.overlay.labels is None  # no masks yet: nothing to back-project
    _add_masks(window, truth, ["T12", "L2"])
    _wait_updated(qtbot, window)
    assert set(ctl.shown.counts) == {"T12", "L2"}
    # a slice through the middle of the (still unlabelled) L1 body: no L1 on it yet
    l1_rows = np.flatnonzero((truth == L1).any(axis=1))
    opened = window.doc.ct[window.doc.current_id]
    mid = opened.mip.mip_to_source_index(float(l1_rows.mean()), float(truth.shape[1] // 2))
    k = int(round(float(mid[0])))
    window.axial.set_slice(k)
    before = ctl.overlay.labels.copy()
    assert not (before == L1).any() and "L1" not in ctl.overlay.shown_names()

    # draw L1 with the mouse: a few clicks on its true outline, closed on the first vertex
    window.choose_label("L1")
    window.act_draw.trigger()
    ring = mask_to_polygons(truth == L1, tolerance=1.5)[0]
    step = max(1, len(ring) // 12)
    for x, y in ring[::step]:
        click(qtbot, window.annot.canvas, x, y)
    click(qtbot, window.annot.canvas, *ring[0])
    window.act_select.trigger()
    (inst,) = [i for i in window.doc.current.instances if i.label == "L1"]
    assert ctl.timer.isActive()  # debounced: nothing recomputed on the edit itself
    assert np.array_equal(ctl.overlay.labels, before)
    qtbot.waitUntil(lambda: not ctl.timer.isActive(), timeout=DEBOUNCE_MS * 5)
    assert ctl.overlay.caption.toPlainText() == PREVIEW  # instant preview while it runs
    assert (ctl.overlay.labels == L1).any()
    _wait_updated(qtbot, window)
    after = ctl.overlay.labels
    assert (after == L1).sum() > 100  # the L1 body's section, back-projected
    assert "L1" in ctl.overlay.shown_names() and ctl.overlay.caption.toPlainText() == ""

    # a click on an L1 voxel of the axial slice selects the L1 polygon on the MIP
    window.annot.tool.select(None)
    j, i = np.argwhere(after == L1)[len(np.argwhere(after == L1)) // 2]
    sx, sy, _ = opened.volume.spacing
    click(qtbot, window.axial.canvas, (i + 0.5) * sx, (j + 0.5) * sy)
    assert window.annot.layer.selected == inst.id
    assert window.annot.marker.getData()[0].size == 1  # the linked cursor still marks the MIP

    # delete it: after the debounce the slice shows no L1 again
    window.act_delete_polygon.trigger()
    assert not [i for i in window.doc.current.instances if i.label == "L1"]
    _wait_updated(qtbot, window)
    assert not (ctl.overlay.labels == L1).any()
    assert "L1" not in ctl.shown.counts

    # View > 3D labels off: the overlay goes; on: back
    window.axial.set_slice(_slice_with(window, VERTEBRA_ID["T12"]))
    assert ctl.overlay.shown_names() == ["T12"]
    window.act_show_labels3d.setChecked(False)
    assert not ctl.overlay.image.isVisible() or ctl.overlay.image.image is None
    assert ctl.overlay.shown_names() == []
    window.act_show_labels3d.setChecked(True)
    assert ctl.overlay.shown_names() == ["T12"]


def test_export_writes_the_files_on_the_ct_grid(qtbot, window, phantom, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, truth = phantom
    _open(qtbot, window, path)
    _add_masks(window, truth, ["T12", "L1", "L2"])
    ctl = window.labels3d
    choice = ExportChoice(tmp_path / "out" / "labels")
    with qtbot.waitSignal(ctl.export_done, timeout=120_000) as done:
        assert ctl.export(choice)
    assert done.args == [True], window._last_error
    nifti, centroids = choice.paths()
    assert nifti.name == "vertebrae_3d.nii.gz"  # neutral: not the scan's file name
    src, out = sitk.ReadImage(str(path)), sitk.ReadImage(str(nifti))
    assert out.GetSize() == src.GetSize()
    np.testing.assert_allclose(out.GetSpacing(), src.GetSpacing())
    np.testing.assert_allclose(out.GetOrigin(), src.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(out.GetDirection(), src.GetDirection(), atol=1e-6)
    ids = {int(v) for v in np.unique(sitk.GetArrayFromImage(out)) if v}
    assert ids == {VERTEBRA_ID[n] + VERSE_OFFSET for n in ("T12", "L1", "L2")}
    ctd = json.loads(centroids.read_text())
    assert ctd[0] == {"direction": ["R", "A", "S"]}
    assert {c["label"] for c in ctd[1:]} == ids
    assert not list(nifti.parent.glob(".tmp-*"))  # atomic: no leftovers
    assert ID_VERTEBRA[VERTEBRA_ID["L1"]] == "L1"


def test_export_to_a_bad_folder_says_why(qtbot, window, phantom, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, truth = phantom
    _open(qtbot, window, path)
    _add_masks(window, truth, ["L1"])
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder")
    ctl = window.labels3d
    with qtbot.waitSignal(ctl.export_done, timeout=120_000) as done:
        assert ctl.export(ExportChoice(blocker / "sub"))
    assert done.args == [False]
    assert "cannot create the export folder" in window._last_error
    assert "Traceback" not in window._last_error and "\n" not in window._last_error
    assert not Path(blocker / "sub").exists()


def test_a_result_for_older_masks_is_not_painted(qtbot, window, phantom) -> None:  # type: ignore[no-untyped-def]
    """Masks edited again while a run is going: only the newest masks reach the screen."""
    path, truth = phantom
    _open(qtbot, window, path)
    ctl = window.labels3d
    shown: list[set[str]] = []
    ctl.updated.connect(lambda: shown.append(set(ctl.shown.counts)))
    _add_masks(window, truth, ["T12"])
    ctl.timer.stop()
    ctl._request()  # the debounce ends: the first run starts (it prepares the CT first)
    first = ctl.worker
    assert first is not None and ctl.overlay.caption.toPlainText()  # preparing / preview
    _add_masks(window, truth, ["L2"])
    ctl.timer.stop()
    ctl._request()  # newer masks while the first run is still going
    assert ctl.worker is first  # one run at a time: the newest starts when it ends
    qtbot.waitUntil(lambda: bool(shown), timeout=120_000)
    assert shown == [{"T12", "L2"}]  # the T12-only result was dropped, never painted
    assert ctl.pending is None and ctl.worker is None


def test_no_3d_export_without_a_ct_or_masks(qtbot, window, phantom, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _truth = phantom
    _open(qtbot, window, path)
    ctl = window.labels3d
    assert not ctl.can_seg()  # a NIfTI CT: no series for a SEG to reference
    assert not ctl.export(ExportChoice(tmp_path / "x"))
    assert "No vertebra masks" in window._last_error
    assert not (tmp_path / "x").exists()


def test_export_dialog_choice(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.window.labels3d_dialog import Export3DDialog

    dialog = Export3DDialog(None, tmp_path, dicom=False)
    qtbot.addWidget(dialog)
    assert not dialog.seg.isEnabled() and not dialog.keep_ids.isEnabled()  # no DICOM: no SEG
    dialog.stem.setText("case_12.nii.gz")
    choice = dialog.choice()
    assert choice.paths() == [tmp_path / "case_12.nii.gz", tmp_path / "case_12_centroids.json"]
    assert not choice.seg and not choice.keep_identifiers
    dicom = Export3DDialog(None, tmp_path, dicom=True)
    qtbot.addWidget(dicom)
    assert dicom.seg.isChecked() and not dicom.keep_ids.isChecked()  # identifiers: opt in
    assert dicom.choice().seg_path == tmp_path / "vertebrae_3d_seg.dcm"


REAL_DICOM = (
    Path(__file__).resolve().parents[1] / "data" / "totalseg-example" / "dicom_series_20slices"
)


def test_export_of_a_dicom_ct_writes_a_seg_on_its_series(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real 20-slice DICOM series: the SEG names its source instances, identifiers blanked."""
    import pydicom

    _open(qtbot, window, REAL_DICOM)
    ctl = window.labels3d
    assert ctl.can_seg()
    mip = window.doc.ct[window.doc.current_id].mip.mip
    bright = mip > np.percentile(mip, 90)  # the brightest bone stands in for a drawn mask
    rings = mask_to_polygons(bright, tolerance=1.0)
    inst = Instance(id=window.doc.project.new_instance_id(), label="L1", polygons=rings)
    window.doc.edit(ops.AddInstance(window.doc.current_id, inst), "Add L1")
    choice = ExportChoice(tmp_path, seg=True)
    with qtbot.waitSignal(ctl.export_done, timeout=120_000) as done:
        assert ctl.export(choice)
    assert done.args == [True], window._last_error
    seg = pydicom.dcmread(choice.seg_path)
    assert seg.Modality == "SEG" and str(seg.PatientName) == ""
    sources = set()
    for p in (REAL_DICOM / "dicom").iterdir():
        ds = pydicom.dcmread(p, stop_before_pixels=True)  # this anonymiser kept the UID in
        sources.add(ds.get("SOPInstanceUID") or ds.file_meta.MediaStorageSOPInstanceUID)  # meta
    (series,) = seg.ReferencedSeriesSequence
    referenced = {item.ReferencedSOPInstanceUID for item in series.ReferencedInstanceSequence}
    assert referenced and referenced <= sources


def test_a_window_deleted_while_a_run_goes_on_does_not_take_the_process_down(
    qtbot, phantom
) -> None:  # type: ignore[no-untyped-def]
    """A window deleted without an accepted close (unsaved edits: the close was refused)
    while its overlay run is going: the run ends on its own, nothing aborts."""
    import pyqtgraph as pg

    from vertapp.gui.window import labels3d_controller
    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    path, truth = phantom
    win = MainWindow()
    win.setProperty("headless", True)
    win.show()
    _open(qtbot, win, path)
    _add_masks(win, truth, ["L1"])
    win.labels3d.timer.stop()
    win.labels3d._request()
    worker = win.labels3d.worker
    assert worker is not None and worker.isRunning()
    win.close()  # refused: unsaved edits, headless answers Cancel
    assert win.isVisible()
    win.deleteLater()
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not labels3d_controller._RUNNING, timeout=120_000)


def test_an_edit_undone_while_its_run_goes_on_keeps_the_shown_labels(
    qtbot, window, phantom
) -> None:  # type: ignore[no-untyped-def]
    path, truth = phantom
    _open(qtbot, window, path)
    ctl = window.labels3d
    _add_masks(window, truth, ["L1"])
    _wait_updated(qtbot, window)
    shown = ctl.shown
    painted: list[object] = []
    ctl.updated.connect(lambda: painted.append(ctl.shown))
    _add_masks(window, truth, ["L2"])
    ctl.timer.stop()
    ctl._request()  # the L1+L2 run starts
    assert ctl.worker is not None
    window.act_undo.trigger()  # L2 undone before that run ends
    ctl.timer.stop()
    ctl._request()
    assert ctl.pending is None and ctl.shown is shown  # back to what is on screen
    qtbot.waitUntil(lambda: ctl.worker is None, timeout=120_000)
    qtbot.wait(50)
    assert painted == [] and ctl.shown is shown  # the L1+L2 result was not painted
    assert "L2" not in ctl.shown.counts
