"""The real TotalSegmentator sample: NIfTI (RAS on disk) and a 20-slice DICOM series."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.cli import main
from vertapp.io import read_volume

SHORT_SCAN = (
    "covers only 40 mm head to feet (20 slices), about one vertebra (each is 25-40 mm tall "
    "with its disc): the MIP is a thin strip, and a vertebra's level cannot be told from "
    "its neighbours"
)


def test_real_nifti_loads_in_lps_with_plausible_hu(real_ct_path):
    vol = read_volume(real_ct_path)
    raw = sitk.ReadImage(str(real_ct_path))
    assert raw.GetDirection() == (-1, 0, 0, 0, -1, 0, 0, 0, 1)  # RAS on disk
    assert vol.orientation_code == "LPS" and np.allclose(vol.direction, np.eye(3))
    assert vol.array.dtype == np.int16 and vol.shape == (112, 101, 122)
    assert vol.spacing == pytest.approx((3.0, 3.0, 3.0))
    # RAS -> LPS flips x and y: same voxels, mirrored indices
    np.testing.assert_array_equal(vol.array, sitk.GetArrayFromImage(raw)[:, ::-1, ::-1])
    far_corner = raw.TransformIndexToPhysicalPoint((121, 100, 0))
    np.testing.assert_allclose(vol.origin, far_corner, atol=1e-3)
    assert -1100 < np.percentile(vol.array, 1) < -900  # air
    bone = np.count_nonzero(vol.array > 300) / vol.array.size
    assert 0.001 < bone < 0.1 and vol.array.max() > 1000
    assert vol.warnings == [] and vol.identifiers == {}


def test_real_dicom_series_loads_with_its_geometry(real_dicom_dir):
    vol = read_volume(real_dicom_dir)
    assert vol.shape == (20, 512, 512)
    assert vol.spacing == pytest.approx((0.9765625, 0.9765625, 2.0))
    assert vol.orientation_code == "LPS"
    assert vol.origin == pytest.approx((-249.51171875, -437.51171875, -804.5))
    assert vol.array.min() == -1024 and vol.array.max() > 1000
    assert np.count_nonzero(vol.array > 300) > 1000  # spine and pelvis
    assert vol.series_description == "CT Body 3.0"
    assert vol.warnings == [SHORT_SCAN]  # 20 slices of 2 mm (tests/unit/io/test_short_scan.py)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(real_dicom_dir)))
    np.testing.assert_array_equal(vol.array, sitk.GetArrayFromImage(reader.Execute()))


def test_real_dicom_identifiers_only_on_request(real_dicom_dir):
    assert read_volume(real_dicom_dir).identifiers == {}
    kept = read_volume(real_dicom_dir, keep_identifiers=True).identifiers
    assert set(kept) == {"PatientName", "PatientID", "PatientBirthDate", "AccessionNumber"}


def test_info_reports_the_real_nifti(real_ct_path, capsys):
    assert main(["info", str(real_ct_path)]) == 0
    out = capsys.readouterr().out
    assert "ct.nii.gz (NIfTI, volume)" in out
    assert "122 x 101 x 112 voxels (x, y, z)" in out
    assert "spacing:      3 x 3 x 3 mm" in out
    assert "orientation:  RAS as stored, LPS as loaded" in out
    assert "series found: 1" in out and "warnings:     none" in out
    assert main(["info", str(real_ct_path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["shape_xyz"] == [122, 101, 112]
    assert facts["spacing_mm_xyz"] == [3.0, 3.0, 3.0]
    assert (facts["orientation_stored"], facts["orientation"]) == ("RAS", "LPS")
    assert facts["value_min"] < -1000 < 1000 < facts["value_max"]
    assert facts["modality"] == "CT" and facts["value_unit"] == "HU"


def test_info_reports_the_real_dicom_series(real_dicom_dir, capsys):
    assert main(["info", str(real_dicom_dir), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["format"] == "DICOM series" and facts["kind"] == "volume"
    assert facts["shape_xyz"] == [512, 512, 20]
    assert facts["spacing_mm_xyz"] == [0.9766, 0.9766, 2.0]
    assert facts["orientation_stored"] == "LPS" and facts["series_found"] == 1
    assert facts["value_min"] == -1024 and facts["warnings"] == [SHORT_SCAN]
    assert facts["series_description"] == "CT Body 3.0"
    assert main(["info", str(real_dicom_dir)]) == 0
    out = capsys.readouterr().out
    assert "512 x 512 x 20 voxels" in out and "0.9766 x 0.9766 x 2 mm" in out
