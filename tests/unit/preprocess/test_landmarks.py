"""The hip landmark: the top of the hip bones' marrow lies by L5, on phantoms and a real CT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vertapp.annotations.landmarks import HIP_TOP, KEY, record_hip_top_row
from vertapp.labels import VERTEBRA_ID
from vertapp.preprocess.label_projection import project_labels
from vertapp.preprocess.landmarks import hip_top_row, landmarks

L4, L5 = VERTEBRA_ID["L4"], VERTEBRA_ID["L5"]


def _rows_of(lab: np.ndarray, ids: list[int]) -> list[float]:
    return [float(np.argwhere(lab == i)[:, 0].mean()) for i in ids]


def _offset_in_levels(row: float, lab: np.ndarray) -> float:
    """(L5 centre row - landmark row) / the L4-L5 spacing: 0 = at L5's centre."""
    l4, l5 = _rows_of(lab, [L4, L5])
    return (l5 - row) / (l5 - l4)


def test_hip_top_lies_by_l5_on_phantoms_with_a_pelvis(case: Any) -> None:
    ph, res = case.phantom, case.result
    row = hip_top_row(res)
    if not ph.has_pelvis:
        assert row is None, f"{case.name}: a hip landmark without hip bones"
        return
    assert row is not None, f"{case.name}: the pelvis was not found"
    lab = project_labels(ph.vertebra_labels, ph.volume, res)
    assert abs(_offset_in_levels(row, lab)) <= 0.6, case.name


def test_hip_top_lies_by_l5_on_the_real_ct(real_case: Any) -> None:
    res = real_case.result
    row = hip_top_row(res)
    assert row is not None
    lab = project_labels(real_case.labels, real_case.volume, res)
    assert abs(_offset_in_levels(row, lab)) <= 0.5
    assert landmarks(res) == {HIP_TOP: round(row, 1)}


def test_no_hip_landmark_on_a_real_chest_series_with_circles_elsewhere() -> None:
    """T11-T12 with arms down (TotalSegmentator's 20-slice series): preprocessing finds
    circles off the canal in the humeri and in contrast-filled organs; none is a hip."""
    from vertapp.io import read_volume
    from vertapp.preprocess import preprocess

    data = Path(__file__).resolve().parents[2] / "data" / "totalseg-example"
    assert hip_top_row(preprocess(read_volume(data / "dicom_series_20slices"))) is None


@pytest.mark.parametrize(
    "meta, expected",
    [
        ({KEY: {HIP_TOP: 123.5}}, 123.5),
        ({KEY: {HIP_TOP: 80}}, 80.0),
        ({KEY: {HIP_TOP: None}}, None),  # looked, no pelvis in the scan
        ({}, None),  # an older project
        ({KEY: {HIP_TOP: "123"}}, None),  # hand-edited files do not break a prediction
        ({KEY: {HIP_TOP: True}}, None),
        ({KEY: {HIP_TOP: float("nan")}}, None),
        ({KEY: [1, 2]}, None),
        (None, None),
    ],
)
def test_record_hip_top_row_reads_only_a_finite_number(meta: Any, expected: Any) -> None:
    assert record_hip_top_row(meta) == expected
