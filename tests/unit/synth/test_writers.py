"""NIfTI and DICOM writers: what is written reads back identical, with sane headers."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from vertapp.io.volume import Volume
from vertapp.synth import CTPhantom, make_ct_phantom, write_dicom_series, write_nifti


@pytest.fixture(scope="module")
def small() -> CTPhantom:
    return make_ct_phantom(seed=7, first="L1", last="L2", pelvis=False)


def _read_pydicom(folder):
    slices = [pydicom.dcmread(p) for p in sorted(folder.iterdir())]
    slices.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    arr = np.stack(
        [d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in slices]
    )
    return slices, arr


def test_dicom_series_round_trip_with_pydicom(small, tmp_path):
    paths = write_dicom_series(small.volume, tmp_path, shuffle=True, seed=3)
    assert len(paths) == small.volume.shape[0] == len(list(tmp_path.iterdir()))
    slices, arr = _read_pydicom(tmp_path)
    assert np.array_equal(arr.astype(np.int16), small.volume.array)
    first = slices[0]
    assert first.Modality == "CT"
    assert str(first.PatientName) == "PHANTOM^SEED3"
    assert len({d.SeriesInstanceUID for d in slices}) == 1
    assert len({d.SOPInstanceUID for d in slices}) == len(slices)
    assert [float(v) for v in first.ImagePositionPatient] == pytest.approx(small.volume.origin)
    assert [float(v) for v in first.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    assert [float(v) for v in first.PixelSpacing] == [1.5, 1.5]
    assert float(first.SliceThickness) == 3.0
    assert float(first.RescaleIntercept) == -1024
    # names carry no order: sorting by file name does not sort by position
    by_name = [float(pydicom.dcmread(p).ImagePositionPatient[2]) for p in sorted(paths, key=str)]
    assert by_name != sorted(by_name)


def test_dicom_series_round_trip_with_simpleitk(small, tmp_path):
    write_dicom_series(small.volume, tmp_path)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(tmp_path)))
    img = reader.Execute()
    assert np.array_equal(sitk.GetArrayFromImage(img), small.volume.array)
    assert img.GetOrigin() == pytest.approx(small.volume.origin)
    assert img.GetSpacing() == pytest.approx(small.volume.spacing)


def test_dicom_signed_storage_when_intercept_is_zero(tmp_path):
    arr = np.array([[[-1000, 0], [500, 2000]]] * 3, dtype=np.int16)
    vol = Volume(arr, spacing=(0.7, 0.7, 2.0), origin=(10.0, -20.0, 30.0))
    write_dicom_series(vol, tmp_path, intercept=0, shuffle=False)
    slices, back = _read_pydicom(tmp_path)
    assert slices[0].PixelRepresentation == 1
    assert np.array_equal(back.astype(np.int16), arr)
    assert [float(d.ImagePositionPatient[2]) for d in slices] == [30.0, 32.0, 34.0]


def test_nifti_round_trip_volume_and_labels(small, tmp_path):
    write_nifti(small.volume, tmp_path / "ct.nii.gz")
    write_nifti(small.vertebra_labels, tmp_path / "labels.nii.gz", like=small.volume)
    ct = sitk.ReadImage(str(tmp_path / "ct.nii.gz"))
    lab = sitk.ReadImage(str(tmp_path / "labels.nii.gz"))
    assert np.array_equal(sitk.GetArrayFromImage(ct), small.volume.array)
    assert np.array_equal(sitk.GetArrayFromImage(lab), small.vertebra_labels)
    assert ct.GetOrigin() == pytest.approx(small.volume.origin)
    assert lab.GetSpacing() == pytest.approx(small.volume.spacing)
    with pytest.raises(ValueError):
        write_nifti(small.vertebra_labels[:-1], tmp_path / "bad.nii.gz", like=small.volume)
