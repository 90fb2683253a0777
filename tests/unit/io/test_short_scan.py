"""A CT covering less than two vertebrae head to feet is warned about in words: the real
20-slice DICOM series (40 mm) opened as a 39 px MIP strip without a word. Real scans and
crops of two or more vertebrae are not warned; nor is a scan whose spacing is in the
wrong unit (its own warning names the cause)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vertapp.io import read_volume
from vertapp.io.plausibility import MIN_COVERAGE_MM, volume_warnings
from vertapp.io.volume import Volume

DATA = Path(__file__).resolve().parents[2] / "data"
SERIES = DATA / "totalseg-example" / "dicom_series_20slices" / "dicom"
LONG_ENOUGH = [
    DATA / "totalseg-example" / "ct.nii.gz",  # a 37 cm trunk
    DATA / "verse" / "sub-verse006_ct.nii.gz",  # a VerSe crop, 86 mm head to feet
    DATA / "verse005-crop" / "sub-verse005-L2-L5_ct.nii.gz",  # four vertebrae
]


def _coverage(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "head to feet" in w]


def test_the_real_20_slice_series_is_said_to_cover_about_one_vertebra() -> None:
    (line,) = _coverage(read_volume(SERIES).warnings)
    assert line.startswith("covers only 40 mm head to feet (20 slices), about one vertebra")


@pytest.mark.parametrize("path", LONG_ENOUGH, ids=lambda p: p.name)
def test_real_scans_of_two_vertebrae_or_more_get_no_coverage_warning(path: Path) -> None:
    assert _coverage(read_volume(path).warnings) == []


def test_the_threshold_is_the_head_to_feet_side_whatever_the_index_order() -> None:
    air = np.full((10, 64, 64), -1000, np.int16)
    air[:, 30:34, 30:34] = 700
    assert MIN_COVERAGE_MM == 50.0
    assert _coverage(volume_warnings(Volume(air, (1.0, 1.0, 4.9))))  # 49 mm
    assert not _coverage(volume_warnings(Volume(air, (1.0, 1.0, 5.0))))  # 50 mm
    # a sagittal stack kept in its own index order: z (head-feet) is index axis x
    sagittal = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], float)
    assert not _coverage(volume_warnings(Volume(air, (1.0, 1.0, 4.0), direction=sagittal)))
    wrong_unit = Volume(air, (0.001, 0.001, 0.002))  # metres as mm: that warning only
    assert not _coverage(volume_warnings(wrong_unit))
