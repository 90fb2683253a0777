"""Two DICOM series without a SeriesInstanceUID in one folder: kept apart by what else
their headers say, and a warning where nothing tells them apart but the spacing is uneven."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from iotest_helpers import make_volume, rewrite

from vertapp.io import read_volume, write_dicom_series
from vertapp.io.readers import load_volume_job
from vertapp.jobs import run_job

MIXED = "two series may be mixed"


def _two_series(folder: Path, offset_mm: float, **second: object) -> None:
    """Two 12-slice 2.5 mm series with blank SeriesInstanceUID and SeriesNumber (as an
    anonymised export), the second `offset_mm` higher and with the `second` tags changed."""
    volume = make_volume()
    first = write_dicom_series(volume, folder, series_number=1, series_description="CT Body")
    other = write_dicom_series(volume, folder, series_number=2, series_description="CT Body")
    for path in first + other:
        path_is_second = path in other

        def edit(ds: pydicom.Dataset, second_one: bool = path_is_second) -> None:
            ds.SeriesInstanceUID = ""
            del ds.SeriesNumber
            ds.ConvolutionKernel = "B30f"
            ds.SliceThickness = 2.5
            ds.AcquisitionNumber = 1
            if second_one:
                pos = [float(v) for v in ds.ImagePositionPatient]
                ds.ImagePositionPatient = [pos[0], pos[1], pos[2] + offset_mm]
                for tag, value in second.items():
                    setattr(ds, tag, value)

        rewrite(path, edit)


@pytest.mark.parametrize(
    "tag, value",
    [
        ("SeriesDescription", "CT Thin"),
        ("ConvolutionKernel", "B70f"),
        ("SliceThickness", 1.0),
        ("AcquisitionNumber", 2),
    ],
)
def test_interleaved_series_without_uid_are_kept_apart(
    tmp_path: Path, tag: str, value: object
) -> None:
    """Offset half a slice, they stacked into one series of 24 slices 1.25 mm apart."""
    _two_series(tmp_path, 1.25, **{tag: value})
    report = run_job(load_volume_job(tmp_path))
    assert report.series_found == 2
    assert report.image.shape[0] == 12
    assert report.image.spacing[2] == pytest.approx(2.5)
    assert not any(MIXED in w for w in report.image.warnings)


@pytest.mark.parametrize("offset, gaps", [(0.5, "0.50 to 2.00 mm"), (1.0, "1.00 to 1.50 mm")])
def test_series_that_nothing_tells_apart_warn_when_their_spacing_is_uneven(
    tmp_path: Path, offset: float, gaps: str
) -> None:
    """The same in every tag: one stack. Offset 0.5 mm it reads as a 0.5 mm series with
    most slices missing, offset 1.0 mm as uneven spacing."""
    _two_series(tmp_path, offset)
    volume = read_volume(tmp_path)
    said = [w for w in volume.warnings if MIXED in w]
    assert said and "SeriesInstanceUID" in said[0] and gaps in said[0], said


def test_one_series_without_uid_is_still_one(tmp_path: Path) -> None:
    """A missing slice leaves the grid regular: no word of mixed series."""
    volume = make_volume()
    paths = write_dicom_series(volume, tmp_path, series_description="CT Body")
    for path in paths:
        rewrite(path, lambda ds: setattr(ds, "SeriesInstanceUID", ""))
    paths[5].unlink()
    report = run_job(load_volume_job(tmp_path))
    assert report.series_found == 1 and report.image.shape[0] == 12
    assert not any(MIXED in w for w in report.image.warnings)


def test_a_uid_decides_alone(tmp_path: Path) -> None:
    """With a SeriesInstanceUID, acquisition numbers that change along the stack (a
    step-and-shoot scan numbers each rotation) do not split it."""
    volume = make_volume()
    paths = write_dicom_series(volume, tmp_path, shuffle=False, series_description="CT Body")
    for k, path in enumerate(paths):
        rewrite(path, lambda ds, k=k: setattr(ds, "AcquisitionNumber", k // 3 + 1))
    report = run_job(load_volume_job(tmp_path))
    assert report.series_found == 1 and report.image.shape[0] == 12
