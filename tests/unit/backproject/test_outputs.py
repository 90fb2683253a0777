"""NIfTI in the source geometry, VerSe centroids, DICOM SEG referencing the source series."""

from __future__ import annotations

import json
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from vertapp.backproject.dicom_seg import frame_of, source_datasets, write_seg
from vertapp.backproject.files import (
    centroids_json,
    label_image,
    to_verse_ids,
    write_centroids,
    write_nifti,
)
from vertapp.errors import InputError
from vertapp.io import read_volume
from vertapp.io.readers import load_volume_job
from vertapp.jobs import run_job

from .conftest import backprojected


def _header(path: Path) -> sitk.ImageFileReader:
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return reader


def test_nifti_has_exactly_the_source_geometry(case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = run_job(load_volume_job(case.path))
    bp = backprojected(case)
    out = write_nifti(
        label_image(bp.labels, case.volume, report.stored_orientation), tmp_path / "l.nii.gz"
    )
    src, got = _header(case.path), _header(out)
    assert got.GetSize() == src.GetSize()
    np.testing.assert_allclose(got.GetSpacing(), src.GetSpacing(), atol=1e-6)
    np.testing.assert_allclose(got.GetOrigin(), src.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(got.GetDirection(), src.GetDirection(), atol=1e-6)
    # the voxels are the labels, as VerSe ids, wherever they lie on the source grid
    back = sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(out)), "LPS"))
    np.testing.assert_array_equal(back, to_verse_ids(bp.labels))
    assert set(np.unique(back)) == {0, 20, 21, 22, 23, 24}  # L1..L5
    assert not list(tmp_path.glob(".tmp-*"))


def test_centroids_in_verse_layout_and_at_the_vertebrae(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = run_job(load_volume_job(pir_case.path))
    bp = backprojected(pir_case)
    image = label_image(bp.labels, pir_case.volume, report.stored_orientation)
    data = json.loads(write_centroids(image, tmp_path / "ctd.json").read_text())
    assert data[0] == {"direction": ["P", "I", "R"]}
    assert [d["label"] for d in data[1:]] == [20, 21, 22, 23, 24]
    for d in data[1:]:
        # voxel coordinates (X = first voxel axis) of the written image -> mm
        mm = np.array(image.TransformContinuousIndexToPhysicalPoint((d["X"], d["Y"], d["Z"])))
        truth = pir_case.volume.index_to_lps(
            np.argwhere(pir_case.labels == d["label"] - 7).mean(axis=0)
        )
        assert np.linalg.norm(mm - truth) < 3.0, d


def test_centroids_of_an_empty_map_hold_only_the_direction() -> None:
    image = sitk.Image(4, 5, 6, sitk.sitkUInt8)
    assert centroids_json(image) == [{"direction": ["L", "P", "S"]}]


@pytest.fixture(scope="module")
def dicom_case(dicom_case_for_export):  # type: ignore[no-untyped-def]
    return dicom_case_for_export


def test_dicom_seg_round_trips_and_references_the_source(dicom_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, volume, bp = dicom_case
    path = write_seg(bp.labels, volume, folder, tmp_path / "seg.dcm")
    seg = hd.seg.segread(path)
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["L1", "L2", "L3", "L4", "L5"]
    sources = {str(ds.SOPInstanceUID): ds for ds in source_datasets(volume, folder)}
    on_disk = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in folder.iterdir()
    }
    assert set(sources) == on_disk
    refs = {
        str(r.ReferencedSOPInstanceUID)
        for s in seg.ReferencedSeriesSequence
        for r in s.ReferencedInstanceSequence
    }
    assert refs == on_disk
    assert str(seg.StudyInstanceUID) == str(next(iter(sources.values())).StudyInstanceUID)
    # each frame holds exactly the labels of the source slice it names
    pixels = seg.pixel_array
    for f, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
        uid = str(group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        segment = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        expected = frame_of(bp.labels, volume, sources[uid]) == 12 + segment  # L1 = 13
        np.testing.assert_array_equal(pixels[f].astype(bool), expected)
    assert str(seg.PatientName) == "" and str(seg.PatientID) == ""


def test_dicom_seg_keeps_identifiers_only_when_asked(dicom_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, volume, bp = dicom_case
    seg = pydicom.dcmread(
        write_seg(bp.labels, volume, folder, tmp_path / "s.dcm", keep_identifiers=True)
    )
    assert str(seg.PatientName) == "PHANTOM^SEED2"


def test_dicom_seg_on_the_real_series(real_dicom_dir, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    """The real 20-slice Siemens series (its SOP UIDs live only in the file meta; its study
    and series UIDs were removed: the SEG says it cannot be filed with its CT)."""
    volume = read_volume(real_dicom_dir)
    labels = np.zeros(volume.shape, np.uint8)
    labels[4:12][volume.array[4:12] > 250] = 17  # bright bone as "L5", a stand-in
    seg = hd.seg.segread(write_seg(labels, volume, real_dicom_dir, tmp_path / "seg.dcm"))
    assert "a PACS cannot file it" in caplog.text
    metas = {
        str(pydicom.dcmread(p, stop_before_pixels=True).file_meta.MediaStorageSOPInstanceUID)
        for p in real_dicom_dir.iterdir()
    }
    refs = {
        str(r.ReferencedSOPInstanceUID)
        for s in seg.ReferencedSeriesSequence
        for r in s.ReferencedInstanceSequence
    }
    assert refs == metas and len(refs) == 20
    assert int(seg.NumberOfFrames) == 8  # frames only where labels are


def test_dicom_seg_refuses_a_folder_without_the_series(pir_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no CT series"):
        write_seg(
            np.ones(pir_case.volume.shape, np.uint8),
            pir_case.volume,
            tmp_path / "empty",
            tmp_path / "s.dcm",
        )


def test_dicom_seg_blanks_dates_demographics_and_institution(dicom_case, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, volume, bp = dicom_case
    for path in folder.iterdir():  # a source series that carries them
        ds = pydicom.dcmread(path)
        ds.PatientAge, ds.PatientSex, ds.StudyID = "073Y", "F", "STUDY-42"
        ds.StudyDate, ds.StudyTime, ds.InstitutionName = "20190304", "101500", "St Elsewhere"
        ds.save_as(path)
    seg = pydicom.dcmread(write_seg(bp.labels, volume, folder, tmp_path / "s.dcm"))
    text = str(seg)
    for value in ("073Y", "STUDY-42", "20190304", "St Elsewhere"):
        assert value not in text, value
    kept = pydicom.dcmread(
        write_seg(bp.labels, volume, folder, tmp_path / "k.dcm", keep_identifiers=True)
    )
    assert str(kept.StudyDate) == "20190304" and str(kept.PatientAge) == "073Y"


def test_dicom_seg_references_a_sagittal_series(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """VerSe-like sagittal acquisitions are read by a swap of axes: the SEG references
    the sagittal slices (it was refused as "not the series the CT was read from")."""
    from vertapp.io.dicom_writer import write_dicom_series
    from vertapp.io.volume import Volume

    sagittal = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])  # i: P, j: I, k: L
    array = np.full((6, 12, 10), -1000, np.int16)  # 6 sagittal slices of 12 x 10
    written = Volume(array, (1.0, 1.0, 2.0), (0.0, 0.0, 0.0), sagittal)
    folder = tmp_path / "series"
    write_dicom_series(written, folder, seed=3)
    volume = read_volume(folder)
    labels = np.zeros(volume.shape, np.uint8)
    labels[2:5, 3:7, 1:4] = 13  # L1
    seg = hd.seg.segread(write_seg(labels, volume, folder, tmp_path / "s.dcm"))
    sources = {str(ds.SOPInstanceUID): ds for ds in source_datasets(volume, folder)}
    assert len(sources) == 6 and volume.shape[0] != 6  # the volume is not stacked like it
    total = 0
    for f, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
        uid = str(group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        expected = frame_of(labels, volume, sources[uid]) == 13
        np.testing.assert_array_equal(seg.pixel_array[f].astype(bool), expected)
        total += int(expected.sum())
    assert total == int((labels == 13).sum())
