"""DICOM series: ordering, rescale, several series, gaps, tilt, orientation, progress."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from iotest_helpers import make_volume, rewrite, slice_files_in_order
from pydicom.uid import ImplicitVRLittleEndian, RLELossless

from vertapp.errors import InputError
from vertapp.io import Volume, read_volume, read_volume_job, write_dicom_series, write_volume
from vertapp.io.plausibility import volume_warnings
from vertapp.jobs import Progress


def _assert_same_grid(a: Volume, b: Volume) -> None:
    np.testing.assert_allclose(a.spacing, b.spacing, atol=1e-4)
    np.testing.assert_allclose(a.origin, b.origin, atol=1e-3)
    np.testing.assert_allclose(a.direction, b.direction, atol=1e-6)


def test_shuffled_series_equals_nifti_voxel_for_voxel(tmp_path, volume, series_dir):
    names = sorted(p.name for p in series_dir.iterdir())
    in_z_order = [p.name for p in slice_files_in_order(series_dir)]
    assert names != in_z_order  # file names carry no order
    numbers = [int(pydicom.dcmread(series_dir / n).InstanceNumber) for n in in_z_order]
    assert numbers != sorted(numbers)  # nor do instance numbers
    write_volume(volume, tmp_path / "same.nii.gz")
    from_dicom = read_volume(series_dir)
    from_nifti = read_volume(tmp_path / "same.nii.gz")
    assert from_dicom.array.dtype == np.int16
    np.testing.assert_array_equal(from_dicom.array, from_nifti.array)
    np.testing.assert_array_equal(from_dicom.array, volume.array)
    _assert_same_grid(from_dicom, from_nifti)
    # nothing of the reader's own; the content's plausibility (30 mm: a short scan) as NIfTI
    assert from_dicom.warnings == volume_warnings(volume) == from_nifti.warnings
    assert from_dicom.series_description == "test axial"


def test_simpleitk_agrees_with_our_reader(series_dir):
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(series_dir)))
    image = reader.Execute()
    ours = read_volume(series_dir)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), ours.array)
    np.testing.assert_allclose(image.GetOrigin(), ours.origin, atol=1e-3)
    np.testing.assert_allclose(image.GetSpacing(), ours.spacing, atol=1e-4)


def test_rescale_slope_and_intercept_applied(tmp_path, volume):
    write_dicom_series(volume, tmp_path / "s", slope=0.5, intercept=-1000)
    ds = pydicom.dcmread(next((tmp_path / "s").iterdir()))
    k = round((float(ds.ImagePositionPatient[2]) - volume.origin[2]) / volume.spacing[2])
    expected_stored = 2 * (volume.array[k].astype(int) + 1000)
    np.testing.assert_array_equal(ds.pixel_array, expected_stored)  # stored values are not HU...
    np.testing.assert_array_equal(read_volume(tmp_path / "s").array, volume.array)  # ...ours are


def test_implicit_vr_and_compressed_files_read_the_same(tmp_path, volume, series_dir):
    files = slice_files_in_order(series_dir)

    def implicit(ds):
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian

    rewrite(files[2], implicit)
    ds = pydicom.dcmread(files[5])
    ds.compress(RLELossless)
    ds.save_as(files[5], enforce_file_format=True)
    np.testing.assert_array_equal(read_volume(series_dir).array, volume.array)


def test_picks_ct_series_with_most_slices_and_lists_others(tmp_path):
    folder = tmp_path / "mixed"
    write_dicom_series(
        make_volume(nz=10), folder, seed=1, series_number=1, series_description="big CT"
    )
    small = make_volume(nz=6, seed=2)
    write_dicom_series(small, folder, seed=2, series_number=2, series_description="small CT")
    mr = make_volume(nz=20, seed=3)
    mr.modality = "MR"
    write_dicom_series(mr, folder, seed=3, series_number=3, series_description="T2 sag")
    vol = read_volume(folder)
    assert vol.shape[0] == 10 and vol.series_description == "big CT"
    assert sorted(vol.other_series) == ["CT 'small CT' (6 images)", "MR 'T2 sag' (20 images)"]
    assert vol.identifiers == {}
    text = " ".join(vol.other_series + vol.warnings)
    assert "Phantom" not in text and "SYNTH" not in text


def test_non_dicom_files_are_ignored(series_dir, volume):
    (series_dir / "README.txt").write_text("notes")
    (series_dir / "empty").write_bytes(b"")
    (series_dir / "DICOM-looking.dcm").write_bytes(b"\x00" * 50)
    np.testing.assert_array_equal(read_volume(series_dir).array, volume.array)


def test_identifiers_only_when_asked(series_dir):
    assert read_volume(series_dir).identifiers == {}
    kept = read_volume(series_dir, keep_identifiers=True).identifiers
    assert kept["PatientName"] == "Phantom^Synthetic"
    assert kept["PatientID"] == "SYNTH0003"
    assert set(kept) == {"PatientName", "PatientID", "PatientBirthDate", "AccessionNumber"}


def test_missing_slice_is_detected_and_interpolated(series_dir, volume):
    files = slice_files_in_order(series_dir)
    files[5].unlink()
    vol = read_volume(series_dir)
    assert vol.shape == volume.shape
    assert any("1 missing slices" in w and "2.50 mm grid" in w for w in vol.warnings), vol.warnings
    np.testing.assert_array_equal(vol.array[:5], volume.array[:5])
    np.testing.assert_array_equal(vol.array[6:], volume.array[6:])
    expected = np.rint((volume.array[4].astype(float) + volume.array[6]) / 2)
    np.testing.assert_array_equal(vol.array[5], expected)


def test_uneven_spacing_is_resampled_with_warning(series_dir, volume):
    files = slice_files_in_order(series_dir)

    def nudge(ds):
        ds.ImagePositionPatient = [
            *ds.ImagePositionPatient[:2],
            float(ds.ImagePositionPatient[2]) + 1.0,
        ]

    rewrite(files[3], nudge)
    vol = read_volume(series_dir)
    assert any(w.startswith("uneven slice spacing (1.50 to 3.50 mm)") for w in vol.warnings)
    assert vol.shape == volume.shape and vol.spacing[2] == pytest.approx(2.5)
    # the grid point of slice 3 (7.5 mm) lies 2.5/3.5 of the way from slice 2 to moved slice 3
    w = 2.5 / 3.5
    expected = np.rint((1 - w) * volume.array[2].astype(np.float32) + w * volume.array[3])
    np.testing.assert_array_equal(vol.array[3], expected)


def test_gap_of_many_slices_refused_with_clear_message(tmp_path):
    folder = tmp_path / "gappy"
    write_dicom_series(make_volume(nz=20), folder)
    for f in slice_files_in_order(folder)[5:17]:
        f.unlink()
    with pytest.raises(
        InputError, match=r"slices missing: a gap of 32.5 mm .* refusing to interpolate"
    ):
        read_volume(folder)


def test_duplicate_slices_are_dropped_with_warning(series_dir, volume):
    shutil.copy(slice_files_in_order(series_dir)[4], series_dir / "copy-of-a-slice")
    vol = read_volume(series_dir)
    np.testing.assert_array_equal(vol.array, volume.array)
    assert "1 slices at duplicate positions were ignored" in vol.warnings


def test_gantry_tilt_is_reported_and_undone(tmp_path, volume):
    folder = tmp_path / "tilted"
    write_dicom_series(volume, folder, shuffle=False)
    sy = volume.spacing[1]
    for k, path in enumerate(slice_files_in_order(folder)):

        def tilt(ds, k=k):
            x, y, z = (float(v) for v in ds.ImagePositionPatient)
            ds.ImagePositionPatient = [x, y + k * sy, z]  # origin slides one row per slice
            ds.PixelData = np.roll(volume.array[k] + 1024, -k, axis=0).astype(np.int16).tobytes()
            ds.GantryDetectorTilt = 17.7

        rewrite(path, tilt)
    vol = read_volume(folder)
    angle = np.degrees(np.arctan2(11 * sy, 11 * volume.spacing[2]))
    assert f"gantry tilt of {angle:.1f} deg" in " ".join(vol.warnings)
    np.testing.assert_allclose(vol.origin, volume.origin, atol=1e-3)
    for k in range(volume.shape[0]):
        np.testing.assert_array_equal(vol.array[k, k:], volume.array[k, k:])


@pytest.mark.parametrize("code", ["PIR", "RAI", "SAL"])
def test_non_axial_series_loads_in_lps(tmp_path, volume, code):
    image = sitk.GetImageFromArray(volume.array)
    image.SetSpacing(volume.spacing)
    image.SetOrigin(volume.origin)
    image = sitk.DICOMOrient(image, code)
    stored = Volume(
        sitk.GetArrayFromImage(image),
        image.GetSpacing(),
        image.GetOrigin(),
        np.array(image.GetDirection()).reshape(3, 3),
    )
    write_dicom_series(stored, tmp_path / code)
    vol = read_volume(tmp_path / code)
    np.testing.assert_array_equal(vol.array, volume.array)
    _assert_same_grid(vol, volume)
    non_axial = any(w.startswith("non-axial") for w in vol.warnings)
    assert non_axial == (code[2] not in "SI")


def test_oblique_series_keeps_rotation_and_warns(tmp_path, volume):
    a = np.radians(8)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    oblique = Volume(volume.array, volume.spacing, volume.origin, rot)
    write_dicom_series(oblique, tmp_path / "obl")
    vol = read_volume(tmp_path / "obl")
    np.testing.assert_array_equal(vol.array, volume.array)
    np.testing.assert_allclose(vol.direction, rot, atol=1e-6)
    assert any(w.startswith("oblique acquisition (8.0 deg") for w in vol.warnings)


def test_job_reports_per_file_progress(series_dir, volume):
    job = read_volume_job(series_dir)
    events: list[Progress] = []
    while True:
        try:
            events.append(next(job))
        except StopIteration as stop:
            result = stop.value
            break
    nz = volume.shape[0]
    assert sum(e.stage == "Reading DICOM headers" for e in events) == nz
    assert sum(e.stage == "Reading DICOM pixels" for e in events) == nz
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    np.testing.assert_array_equal(result.array, volume.array)


def test_single_file_of_a_series_reads_its_series(series_dir, volume):
    one: Path = slice_files_in_order(series_dir)[7]
    np.testing.assert_array_equal(read_volume(one).array, volume.array)
