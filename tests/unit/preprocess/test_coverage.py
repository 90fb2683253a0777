"""Measured vs bridged canal track (issue #19 item 4), on flags and on a real CT."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vertapp.preprocess.coverage import (
    LOW_SHARE,
    bridged_slices,
    canal_coverage,
    coverage_warning,
)


def test_share_counts_only_the_spines_extent() -> None:
    flags = np.zeros(100, bool)
    flags[[20, 21, 25, 30, 39]] = True  # 5 measured of the 20 slices from 20 to 39
    cov = canal_coverage(flags, 2.0)
    assert (cov.measured, cov.span) == (5, 20)
    assert cov.share == 0.25
    assert cov.longest_gap_mm == 9 * 2.0  # slices 31..38 bridged, one slice = 2 mm
    assert list(bridged_slices(flags)) == [22, 23, 24, 26, 27, 28, 29, *range(31, 39)]
    # a share of the working grid's slices: no count to read against the file's slices
    assert "found on 25 % of the 2 mm working slices" in cov.sentence()
    assert "20" not in cov.sentence()


def test_warning_only_when_low_or_a_gap_is_longer_than_a_vertebra() -> None:
    every_other = np.zeros(60, bool)
    every_other[::2] = True
    assert coverage_warning(every_other, 1.0) is None  # 50 %, gaps of 1 mm
    sparse = np.zeros(60, bool)
    sparse[::5] = True  # 20 %
    assert canal_coverage(sparse, 1.0).share < LOW_SHARE
    assert "check that the MIP holds every vertebra" in coverage_warning(sparse, 1.0)
    gap = np.ones(100, bool)
    gap[30:75] = False  # one 45 mm gap at 1 mm
    assert coverage_warning(gap, 1.0) is not None
    assert coverage_warning(np.zeros(10, bool), 1.0) is None  # no canal: another warning


def test_real_ct_track_is_partly_bridged_and_the_rest_measured() -> None:
    from vertapp.io import read_volume
    from vertapp.preprocess import preprocess

    path = Path(__file__).resolve().parents[2] / "data" / "totalseg-example" / "ct.nii.gz"
    result = preprocess(read_volume(path))
    cov = canal_coverage(result.track_detected, result.grid.spacing)
    # the real example: a circle on roughly a third of the spine's slices (3 mm slices
    # on a 1 mm grid), the rest bridged, with no gap as tall as a vertebra
    assert 0.25 <= cov.share <= 0.7 and cov.longest_gap_mm < 40
    bridged = bridged_slices(result.track_detected)
    assert len(bridged) == cov.span - cov.measured
    assert not result.track_detected[bridged].any()
