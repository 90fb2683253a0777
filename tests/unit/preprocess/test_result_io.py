"""preprocess.json (the DESIGN contract), save/load, and the MIP <-> LPS mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from vertapp.errors import FormatError
from vertapp.preprocess import MipResult


def test_json_holds_the_design_contract(real_case: Any, tmp_path: Path) -> None:
    res = real_case.result
    res.save(tmp_path)
    data = json.loads((tmp_path / "preprocess.json").read_text())
    assert data["spine_cluster"] == res.spine_cluster
    assert set(data["crop_box_lps"]) == {"min", "max"}
    assert np.allclose(data["affine"], res.affine)
    assert len(data["slices"]) == res.grid.shape[0]
    one = next(s for s in data["slices"] if s["circles"])
    assert {"z_mm", "circles"} <= one.keys()
    assert {"x_mm", "y_mm", "r_mm", "cluster"} <= one["circles"][0].keys()
    n = sum(len(s["circles"]) for s in data["slices"])
    assert n == len(res.circles)
    png = cv2.imread(str(tmp_path / "mip.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint8 and png.shape == res.mip.shape


def test_save_load_round_trip(real_case: Any, tmp_path: Path) -> None:
    res = real_case.result
    res.save(tmp_path)
    back = MipResult.load(tmp_path)
    assert np.array_equal(back.mip, res.mip) and np.array_equal(back.depth, res.depth)
    assert np.allclose(back.circles, res.circles, atol=1e-3)
    assert np.array_equal(back.circle_on_track, res.circle_on_track)
    assert np.allclose(back.track, res.track, atol=1e-3)
    assert back.crop_box_lps == res.crop_box_lps and back.spine_cluster == res.spine_cluster
    assert np.allclose(back.affine, res.affine) and back.params == res.params
    assert np.allclose(back.mip_to_lps(10, 20), res.mip_to_lps(10, 20), atol=1e-3)


def test_mip_lps_round_trip(real_case: Any) -> None:
    res = real_case.result
    for row, col in [(0, 0), (57.5, 31.25), (res.mip.shape[0] - 1, res.mip.shape[1] - 1)]:
        xyz = res.mip_to_lps(row, col)
        assert np.allclose(res.lps_to_mip(xyz), (row, col))
    top = res.mip_to_lps(0, 0)
    assert top[2] == pytest.approx(res.crop_box_lps["max"][2])  # row 0 = most superior
    assert top[1] == pytest.approx(res.crop_box_lps["min"][1])  # col 0 = most anterior


def test_malformed_json_is_a_format_error(tmp_path: Path) -> None:
    (tmp_path / "preprocess.json").write_text('{"format": "vertapp.preprocess", "version": 1}')
    with pytest.raises(FormatError, match="preprocess.json"):
        MipResult.load(tmp_path)
    (tmp_path / "preprocess.json").write_text("not json")
    with pytest.raises(FormatError):
        MipResult.load(tmp_path)
