"""NIfTI / MetaImage / NRRD: LPS reorientation, HU conversion, writing."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.errors import InputError
from vertapp.io import Volume, read_volume, write_volume


def _image(volume: Volume) -> sitk.Image:
    image = sitk.GetImageFromArray(volume.array)
    image.SetSpacing(volume.spacing)
    image.SetOrigin(volume.origin)
    image.SetDirection([float(v) for v in volume.direction.reshape(9)])
    return image


@pytest.mark.parametrize("code", ["RAS", "LPI", "PIR", "SAL", "IRA", "ASL"])
def test_any_orientation_on_disk_loads_to_the_same_lps_array(tmp_path, volume, code):
    stored = sitk.DICOMOrient(_image(volume), code)
    assert (
        sitk.DICOMOrientImageFilter.GetOrientationFromDirectionCosines(stored.GetDirection())
        == code
    )
    sitk.WriteImage(stored, str(tmp_path / "v.nii.gz"))
    vol = read_volume(tmp_path / "v.nii.gz")
    np.testing.assert_array_equal(vol.array, volume.array)
    np.testing.assert_allclose(vol.spacing, volume.spacing, atol=1e-5)
    np.testing.assert_allclose(vol.origin, volume.origin, atol=1e-3)
    assert vol.orientation_code == "LPS"


def test_hand_built_flipped_nifti_matches(tmp_path, volume):
    """Independent of DICOMOrient: flip x on disk and say so in the direction matrix."""
    flipped = sitk.GetImageFromArray(volume.array[:, :, ::-1].copy())
    flipped.SetSpacing(volume.spacing)
    nx = volume.shape[2]
    flipped.SetOrigin((volume.origin[0] + (nx - 1) * volume.spacing[0], *volume.origin[1:]))
    flipped.SetDirection((-1, 0, 0, 0, 1, 0, 0, 0, 1))
    sitk.WriteImage(flipped, str(tmp_path / "flip.nii"))
    vol = read_volume(tmp_path / "flip.nii")
    np.testing.assert_array_equal(vol.array, volume.array)
    np.testing.assert_allclose(vol.origin, volume.origin, atol=1e-3)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz", ".mha", ".mhd", ".nrrd"])
def test_write_then_read_round_trip(tmp_path, volume, suffix):
    write_volume(volume, tmp_path / f"v{suffix}")
    vol = read_volume(tmp_path / f"v{suffix}")
    np.testing.assert_array_equal(vol.array, volume.array)
    np.testing.assert_allclose(vol.origin, volume.origin, atol=1e-3)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []


def test_write_volume_unknown_extension(tmp_path, volume):
    with pytest.raises(InputError, match=r"unknown volume format"):
        write_volume(volume, tmp_path / "v.png")


def test_float_data_is_rounded_with_a_note_not_a_warning(tmp_path, volume):
    data = volume.array.astype(np.float32) + 0.3
    image = sitk.GetImageFromArray(data)
    sitk.WriteImage(image, str(tmp_path / "f.nii.gz"))
    vol = read_volume(tmp_path / "f.nii.gz")
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, volume.array)
    assert vol.notes == ["float voxel values were rounded to whole HU (int16)"]
    assert not any("rounded" in w for w in vol.warnings)  # nothing to check in the scan


def test_integral_float_data_gives_no_warning(tmp_path, volume):
    sitk.WriteImage(
        sitk.GetImageFromArray(volume.array.astype(np.float64)), str(tmp_path / "f.mha")
    )
    vol = read_volume(tmp_path / "f.mha")  # (12 mm tall: only the short-scan warning)
    assert vol.notes == [] and not any("HU" in w or "clipped" in w for w in vol.warnings)


def test_values_beyond_int16_are_clipped_with_warning(tmp_path, volume):
    data = volume.array.astype(np.int32)
    data[0, 0, :3] = 40000
    sitk.WriteImage(sitk.GetImageFromArray(data), str(tmp_path / "big.nrrd"))
    vol = read_volume(tmp_path / "big.nrrd")
    assert vol.array[0, 0, :3].tolist() == [32767] * 3
    assert "3 voxels outside the int16 range were clipped" in vol.warnings


def test_data_without_air_is_flagged(tmp_path, volume):
    sitk.WriteImage(sitk.GetImageFromArray(volume.array + 1100), str(tmp_path / "mr.nii.gz"))
    warnings = read_volume(tmp_path / "mr.nii.gz").warnings
    assert any("no air near -1000 HU" in w for w in warnings), warnings


def test_four_d_with_one_volume_is_accepted(tmp_path, volume):
    four = sitk.JoinSeries([_image(volume)])
    assert four.GetDimension() == 4
    sitk.WriteImage(four, str(tmp_path / "four.nii.gz"))
    np.testing.assert_array_equal(read_volume(tmp_path / "four.nii.gz").array, volume.array)
