"""Isotropic resampling onto an axis-aligned LPS grid, and the HU window."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.io.volume import Volume
from vertapp.preprocess.resample import (
    apply_hu_window,
    isotropic_grid,
    resample_isotropic,
    resample_slabs,
    to_sitk,
)


def _point_volume(direction: np.ndarray) -> tuple[Volume, np.ndarray]:
    arr = np.full((20, 40, 50), -1000, np.int16)
    arr[8:11, 18:21, 23:26] = 1000  # a small bright cube around voxel (9, 19, 24)
    vol = Volume(arr, spacing=(0.7, 0.8, 2.5), origin=(-10.0, 20.0, 100.0), direction=direction)
    return vol, vol.index_to_lps(np.array([9.0, 19.0, 24.0]))


@pytest.mark.parametrize("angle", [0.0, 12.0])
def test_bright_point_keeps_its_lps_position(angle: float) -> None:
    a = np.radians(angle)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    vol, xyz = _point_volume(rot)
    arr, grid = resample_isotropic(vol, 1.0)
    assert arr.dtype == np.int16
    peak = np.argwhere(arr >= arr.max() - 1).mean(axis=0)
    assert np.linalg.norm(grid.index_to_lps(peak) - xyz) < 1.0
    assert np.allclose(grid.lps_to_index(grid.index_to_lps(peak)), peak)


def test_grid_covers_the_volume() -> None:
    vol, _ = _point_volume(np.eye(3))
    g = isotropic_grid(vol, 1.0)
    assert g.origin == vol.origin
    assert g.shape == (48, 32, 35)  # 47.5 mm / 1 + 1, 31.2, 34.3


def test_slabs_equal_one_call() -> None:
    vol, _ = _point_volume(np.eye(3))
    whole, g = resample_isotropic(vol, 1.0)
    parts = np.concatenate([s for _, s in resample_slabs(to_sitk(vol.array, vol), g, 7)])
    assert np.array_equal(whole, parts)


def test_hu_window_sets_outside_to_zero() -> None:
    a = np.array([-1000, 99, 100, 700, 1500, 1501, 3000], np.int16)
    assert apply_hu_window(a, 100, 1500).tolist() == [0, 0, 100, 700, 1500, 0, 0]
