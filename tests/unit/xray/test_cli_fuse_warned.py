"""`vertapp xray align ... --fuse-warned` on the command line (`commands/xray.py`).

fused.png keeps the low-dose pixels of the failed vertebrae and of those warned for torsion
or an inconsistent placement; --fuse-warned fuses the warned ones too (never the failed
ones). Nothing ran the option from the command line before: here a pair with a torsioned
L2, a low-dose L1 outline drawn 90 px aside (L1 lands off the spine: warned for its
placement) and a T11 outline drawn 100 px aside the other way (nothing there matches: T11
failed) is aligned with and without it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import pytest

from tests.unit.xray.test_cli_xray import _coco, _png
from tests.unit.xray.zoi_pairs import pair
from vertapp.cli import main

TWISTED, SHIFTED, FAILED = "L2", "L1", "T11"
ASIDE = {SHIFTED: 90, FAILED: -100}  # px the low-dose outline is drawn aside


def _low_parts(p: Any) -> list[Any]:
    return [
        replace(q, mask=np.roll(q.mask, ASIDE[q.level], axis=1)) if q.level in ASIDE else q
        for q in p.low_parts
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both runs on the same files: their alignment.json, fused.png, check.png."""
    d = tmp_path_factory.mktemp("fuse_warned")
    p = pair(0, "T10", "L5", torsion=TWISTED)
    low, high = _png(d / "low.png", p.low.array), _png(d / "high.png", p.high.array)
    args = ["xray", "align", str(low), str(high)]
    args += ["--zois-low", str(_coco(d / "low.json", _low_parts(p), p.low.shape, "low.png"))]
    args += ["--zois-high", str(_coco(d / "high.json", p.high_parts, p.high.shape, "high.png"))]
    out: dict[str, Any] = {"pair": p, "low": cv2.imread(str(low), cv2.IMREAD_UNCHANGED)}
    for name, extra in (("kept", []), ("fused", ["--fuse-warned"])):
        assert main([*args, "--out", str(d / name), *extra]) == 0
        out[name] = {
            "record": json.loads((d / name / "alignment.json").read_text()),
            "fused": cv2.imread(str(d / name / "fused.png"), cv2.IMREAD_UNCHANGED),
            "check": d / name / "check.png",
        }
    return out


def _vertebra(run: dict[str, Any], level: str) -> dict[str, Any]:
    return next(v for v in run["record"]["vertebrae"] if v["level"] == level)


def _zone(runs: dict[str, Any], level: str) -> np.ndarray:
    """Where the vertebra's high-dose ZOI lands (its recorded matrix), clear of its
    neighbours' feathered edges."""
    mask = runs["pair"].high_vertebrae[level].astype(np.uint8)
    matrix = np.asarray(_vertebra(runs["kept"], level)["matrix"], np.float64)
    landed = cv2.warpAffine(mask, matrix, (mask.shape[1], mask.shape[0]))
    return cv2.erode(landed, np.ones((9, 9), np.uint8)) > 0


def _grain(image: np.ndarray, zone: np.ndarray) -> float:
    return float(np.std(cv2.Laplacian(image.astype(np.float32), cv2.CV_32F)[zone]))


def test_the_pair_has_the_vertebrae_this_test_needs(runs: dict[str, Any]) -> None:
    kept = runs["kept"]
    assert _vertebra(kept, TWISTED)["not_fused_because"] == "possible torsion"
    assert "inconsistent placement" in _vertebra(kept, SHIFTED)["not_fused_because"]
    assert _vertebra(kept, FAILED)["not_fused_because"] == "failed"
    left = {v["level"] for v in kept["record"]["vertebrae"] if not v["fused"]}
    assert left == {TWISTED, SHIFTED, FAILED}


@pytest.mark.parametrize("level", [TWISTED, SHIFTED])
def test_a_warned_vertebra_keeps_its_low_dose_pixels_unless_fuse_warned(
    runs: dict[str, Any], level: str
) -> None:
    low, zone = runs["low"], _zone(runs, level)
    kept, fused = runs["kept"]["fused"][zone], runs["fused"]["fused"][zone]
    assert np.mean(kept == low[zone]) > 0.98  # the low-dose pixels, as they were
    assert np.mean(fused == low[zone]) < 0.05  # fused: the high-dose ZOI in their place
    # ... with the high-dose grain (the low dose's pixel noise gone)
    assert _grain(runs["fused"]["fused"], zone) < 0.6 * _grain(low, zone)
    assert _vertebra(runs["fused"], level)["fused"] is True


def test_a_failed_vertebra_keeps_its_low_dose_pixels_either_way(runs: dict[str, Any]) -> None:
    zone, low = _zone(runs, FAILED), runs["low"]
    for name in ("kept", "fused"):
        assert np.mean(runs[name]["fused"][zone] == low[zone]) > 0.98, name
        assert _vertebra(runs[name], FAILED)["not_fused_because"] == "failed"


def test_only_the_warned_vertebrae_differ_between_the_runs(runs: dict[str, Any]) -> None:
    """Each fused vertebra's grey fit is against the image as its predecessors left it: a
    neighbour's rim may shift by a grey level or two, nothing more away from the warned."""
    a, b = runs["kept"]["fused"].astype(np.int64), runs["fused"]["fused"].astype(np.int64)
    changed = np.abs(a - b) > 0.005 * np.ptp(runs["low"])
    near = np.zeros(a.shape, np.uint8)
    for level in (TWISTED, SHIFTED):
        assert changed[_zone(runs, level)].mean() > 0.5, level
        near |= _zone(runs, level).astype(np.uint8)
    near = cv2.dilate(near, np.ones((41, 41), np.uint8)) > 0  # their rims, and the ZOI's
    assert not changed[~near].any()
    said = runs["kept"]["record"]["warnings"][-1]
    assert said.startswith("fused image:") and "--fuse-warned" in said
    assert "--fuse-warned" not in runs["fused"]["record"]["warnings"][-1]
