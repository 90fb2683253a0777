"""Not-CT and odd geometry give warnings in words (data the window shows); no identifiers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.cli import main
from vertapp.io import read_any, read_volume, write_dicom_series
from vertapp.io.plausibility import volume_warnings
from vertapp.io.volume import Volume


def _ct(spacing=(0.8, 0.8, 2.0), nz: int = 12) -> np.ndarray:
    rng = np.random.default_rng(0)
    array = np.full((nz, 32, 32), -1000, np.int16)
    array[:, 8:24, 8:24] = 40 + rng.integers(-20, 20, size=(nz, 16, 16))
    array[:, 14:18, 14:18] = 900  # bone
    return array


def _warnings(array: np.ndarray, spacing=(0.8, 0.8, 2.0), modality: str = "CT") -> str:
    return " | ".join(volume_warnings(Volume(array, spacing, modality=modality)))


def test_a_plain_ct_gets_no_warning() -> None:
    # 60 mm head to feet: two vertebrae (12 slices of 2 mm would be a short-scan warning)
    assert volume_warnings(Volume(_ct(nz=30), (0.8, 0.8, 2.0))) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda a: (a.clip(-1000, 1500) + 1000) // 10, "like an 8-bit picture"),  # 0..250
        (lambda a: np.zeros_like(a), "every voxel has the value 0"),
        (lambda a: np.where(a > 100, 60, a), "no bone"),
        (lambda a: np.clip(a + 1000, 0, None) * 2, "no air near -1000 HU"),  # MR-like
    ],
)
def test_content_that_is_not_ct_is_warned(make, expected) -> None:
    assert expected in _warnings(make(_ct()).astype(np.int16))


def test_mr_modality_is_warned() -> None:
    assert "says MR, not CT" in _warnings(_ct(), modality="MR")


@pytest.mark.parametrize("thick", [10.0, 50.0])
def test_thick_slices_are_warned(thick) -> None:
    text = _warnings(_ct(), spacing=(0.8, 0.8, thick))
    assert f"{thick:g} mm apart along z (more than 5 mm)" in text
    assert _warnings(_ct(), spacing=(0.8, 0.8, 5.0)) == ""


def test_single_slice_is_warned() -> None:
    assert "a single slice" in _warnings(_ct(nz=1))


def test_readers_put_the_warnings_in_the_volume(tmp_path) -> None:
    u8 = ((_ct().clip(-1000, 1500) + 1000) // 10).astype(np.uint8)
    image = sitk.GetImageFromArray(u8)
    image.SetSpacing((0.8, 0.8, 10.0))
    sitk.WriteImage(image, str(tmp_path / "picture.nii.gz"))
    warnings = " | ".join(read_volume(tmp_path / "picture.nii.gz").warnings)
    assert "8-bit picture" in warnings and "10 mm apart" in warnings
    write_dicom_series(Volume(_ct(), (0.8, 0.8, 10.0)), tmp_path / "dicom")
    assert any("10 mm apart" in w for w in read_volume(tmp_path / "dicom").warnings)


@pytest.mark.parametrize("description", ["Doe^John thorax", "thorax John Doe", "JOHN DOE thorax"])
def test_info_does_not_print_a_patient_name_from_series_description(
    tmp_path, capsys, description
) -> None:
    folder = tmp_path / "scan"
    write_dicom_series(
        Volume(_ct(), (0.8, 0.8, 2.0)),
        folder,
        series_description=description,
        patient_name="Doe^John",
    )
    assert main(["info", str(folder), "--json"]) == 0
    out = capsys.readouterr().out
    printed = out.replace(f'"input": "{folder.name}"', "").lower()
    assert "john" not in printed and "doe" not in printed
    shown = json.loads(out)["series_description"]
    assert "thorax" in shown and "***" in shown
    kept = read_any(folder, keep_identifiers=True)
    assert kept.series_description == description  # the user opted in
