"""File > Export 3D labels… of a project image: its CT is the project's LPS copy.

`vertapp import` (and a saved project) keeps the CT as volumes/<name>.nii.gz, reoriented
to LPS, and not where the original lies (the path may name the patient). The window's
export must still write what `vertapp backproject` writes from the original: the NIfTI
on the original file's grid (from the orientation the import recorded, or from the
original the user chose), a SEG only against the original DICOM series, which is only
read and must hold exactly the copy's voxels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from vertapp.annotations.model import ImageRecord
from vertapp.backproject.export import export_job, not_the_same_ct
from vertapp.errors import InputError
from vertapp.gui.window.labels3d_jobs import CtSource, ExportChoice, ct_source, export_labels_job
from vertapp.io import read_volume, write_volume
from vertapp.jobs import run_job

from .conftest import backprojected

NAME = "volumes/case.nii.gz"


def _project(volume, root: Path, facts: dict | None = None):  # type: ignore[no-untyped-def]
    """A project folder holding `volume`'s LPS copy, as the import leaves it, read back
    as the window reads it, and its image record (`facts`: the record's `import`)."""
    write_volume(volume, root / NAME)
    extra = {"vertapp": {"source": "imported", "import": facts}} if facts is not None else {}
    rec = ImageRecord(1, "images/case_mip.png", 10, 10, source_path=NAME, extra=extra)
    return read_volume(root / NAME), rec


def _header(path: Path) -> sitk.ImageFileReader:
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return reader


def _same_grid(out: Path, src: Path) -> None:
    got, want = _header(out), _header(src)
    assert got.GetSize() == want.GetSize()
    np.testing.assert_allclose(got.GetSpacing(), want.GetSpacing(), atol=1e-5)
    np.testing.assert_allclose(got.GetOrigin(), want.GetOrigin(), atol=1e-3)
    np.testing.assert_allclose(got.GetDirection(), want.GetDirection(), atol=1e-6)


def _export(copy, case, choice, source, bp=None):  # type: ignore[no-untyped-def]
    """`bp`: labels already made for these masks (the window passes its last result)."""
    projector = None if bp is None else object()
    return run_job(
        export_labels_job(projector, copy, case.result, case.footprint, bp, choice, source)
    )


def test_the_record_says_how_the_original_was_stored(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    facts = {"ct_stored_orientation": "PIR", "ct_dicom": False}
    copy, rec = _project(pir_case.volume, tmp_path, facts)
    assert ct_source(copy, rec, tmp_path) == CtSource(
        copy=True, orientation="PIR", original_dicom=False
    )
    # the CT opened from its own file this session is no copy, whatever the record says
    assert ct_source(pir_case.volume, rec, tmp_path) == CtSource(dicom=False)
    # a project written before the import recorded it, or a hand-edited one: unknown
    for bad in ({}, {"ct_stored_orientation": "PPS", "ct_dicom": "yes"}, [1], None):
        rec.extra = {"vertapp": {"import": bad}}
        assert ct_source(copy, rec, tmp_path) == CtSource(copy=True)
    rec.extra = {"vertapp": ["not", "a", "dict"]}
    assert ct_source(copy, rec, tmp_path).on_copy_grid


def test_a_copy_exports_on_the_original_grid_with_the_commands_labels(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No original needed: the recorded code undoes the copy's reorientation, and the
    labels made from the copy are voxel for voxel those made from the original."""
    copy, rec = _project(pir_case.volume, tmp_path / "p", {"ct_stored_orientation": "PIR"})
    source = ct_source(copy, rec, tmp_path / "p")
    nifti, ctd = _export(copy, pir_case, ExportChoice(tmp_path / "out"), source)
    _same_grid(nifti, pir_case.path)
    command = run_job(  # what `vertapp backproject ORIGINAL` writes (its own read of it)
        export_job(
            backprojected(pir_case),
            pir_case.volume,
            tmp_path / "cmd.nii.gz",
            stored_orientation="PIR",
        )
    )[0]
    got, want = (sitk.GetArrayFromImage(sitk.ReadImage(str(p))) for p in (nifti, command))
    np.testing.assert_array_equal(got, want)
    assert '"direction": ["P", "I", "R"]' in ctd.read_text()


def test_a_copy_without_the_record_exports_on_its_own_grid(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    copy, rec = _project(pir_case.volume, tmp_path / "p", {})
    source = ct_source(copy, rec, tmp_path / "p")
    assert source.on_copy_grid
    bp = backprojected(pir_case)
    (nifti, _ctd) = _export(copy, pir_case, ExportChoice(tmp_path / "o"), source, bp)
    _same_grid(nifti, tmp_path / "p" / NAME)  # the copy's LPS grid, not the original's
    # the original chosen in the dialog: its grid, read from it
    choice = ExportChoice(tmp_path / "o2", original=pir_case.path)
    (nifti, _ctd) = _export(copy, pir_case, choice, source, bp)
    _same_grid(nifti, pir_case.path)


def test_an_original_that_is_another_scan_is_refused(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    copy, rec = _project(pir_case.volume, tmp_path / "p", {"ct_stored_orientation": "PIR"})
    source = ct_source(copy, rec, tmp_path / "p")
    other = pir_case.volume.array.copy()
    other[5, 5, 5] += 1  # one voxel: another scan (or another reconstruction)
    changed = type(pir_case.volume)(other, pir_case.volume.spacing, pir_case.volume.origin)
    write_volume(changed, tmp_path / "other.nii.gz")
    smaller = type(pir_case.volume)(other[:-1], pir_case.volume.spacing, pir_case.volume.origin)
    write_volume(smaller, tmp_path / "smaller.nii.gz")
    for path, why in (("other.nii.gz", "other voxel values"), ("smaller.nii.gz", "voxels")):
        choice = ExportChoice(tmp_path / "o", original=tmp_path / path)
        with pytest.raises(InputError, match=rf"not this image's CT \(.*{why}"):
            _export(copy, pir_case, choice, source, backprojected(pir_case))
        assert not (tmp_path / "o" / "vertebrae_3d.nii.gz").exists()
    vol = pir_case.volume
    moved = type(vol)(vol.array, vol.spacing, tuple(o + 5.0 for o in vol.origin), vol.direction)
    assert not_the_same_ct(moved, copy) == "it lies elsewhere in the patient's coordinates"
    assert not_the_same_ct(vol, copy) == ""  # the copy's float32 header is close enough


def test_the_ct_read_is_never_written(pir_case, dicom_case_for_export, tmp_path) -> None:  # type: ignore[no-untyped-def]
    copy, rec = _project(pir_case.volume, tmp_path / "p", {"ct_stored_orientation": "PIR"})
    source = ct_source(copy, rec, tmp_path / "p")
    before = pir_case.path.read_bytes()
    original = tmp_path / "orig" / "ct.nii.gz"
    original.parent.mkdir()
    original.write_bytes(before)
    series, _volume, _bp = dicom_case_for_export
    for choice in (
        ExportChoice(original.parent, stem="ct", original=original),  # over the original
        ExportChoice(series / "out", seg=True, original=series),  # into its DICOM series
        ExportChoice(tmp_path / "p" / "volumes", stem="case"),  # over the project's copy
    ):
        with pytest.raises(InputError, match="over or into the CT it is read from"):
            _export(copy, pir_case, choice, source, backprojected(pir_case))
    assert original.read_bytes() == before and not (series / "out").exists()


def test_a_seg_references_the_original_dicom_series(
    dicom_case_for_export, pir_case, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    series, volume, bp = dicom_case_for_export
    facts = {"ct_stored_orientation": "LPS", "ct_dicom": True}
    copy, rec = _project(volume, tmp_path / "p", facts)
    source = ct_source(copy, rec, tmp_path / "p")
    assert source.copy and not source.dicom  # the copy is a NIfTI: no series of its own
    with pytest.raises(InputError, match="original DICOM series"):
        _export(copy, pir_case, ExportChoice(tmp_path / "o", seg=True), source, bp)
    # the PIR NIfTI holds the same voxels, but no series to reference
    choice = ExportChoice(tmp_path / "o", seg=True, original=pir_case.path)
    with pytest.raises(InputError, match="needs a DICOM series"):
        _export(copy, pir_case, choice, source, bp)
    choice = ExportChoice(tmp_path / "o", seg=True, original=series)
    nifti, _ctd, seg_path = _export(copy, pir_case, choice, source, bp)
    seg = pydicom.dcmread(seg_path)
    sources = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in series.iterdir()
    }
    (ref,) = seg.ReferencedSeriesSequence
    assert {str(i.ReferencedSOPInstanceUID) for i in ref.ReferencedInstanceSequence} <= sources
    assert str(seg.PatientName) == ""  # identifiers: the keep_identifiers choice (off)
    assert "PHANTOM" not in nifti.name and "PHANTOM" not in seg_path.name
