"""The hip landmark is measured along the spine: a CT tilted front to back keeps it by L5,
and hip circles far above the pelvis's own do not move it."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from vertapp.io.volume import Volume
from vertapp.labels import VERTEBRA_ID
from vertapp.preprocess.label_projection import project_labels
from vertapp.preprocess.landmarks import hip_top_row, hip_top_z

L4, L5 = VERTEBRA_ID["L4"], VERTEBRA_ID["L5"]


def _tilted(volume: Volume, degrees: float) -> Volume:
    """The same voxels turned `degrees` about the patient's left-right axis (x), around the
    volume's centre: a patient lying tilted front to back (as a tilted NIfTI header says)."""
    a = np.deg2rad(degrees)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    direction = np.asarray(volume.direction, float)
    origin = np.asarray(volume.origin, float)
    size = np.array(volume.array.shape[::-1], float)
    centre = origin + direction @ (np.asarray(volume.spacing) * (size - 1) / 2)
    return dataclasses.replace(
        volume, direction=rot @ direction, origin=tuple(centre + rot @ (origin - centre))
    )


def _offset(volume: Volume, labels: np.ndarray) -> float:
    """(L5 centre row - landmark row) / the L4-L5 spacing on the MIP of `volume`."""
    from vertapp.preprocess import preprocess

    result = preprocess(volume)
    row = hip_top_row(result)
    assert row is not None
    lab = project_labels(labels, volume, result)
    l4, l5 = (float(np.argwhere(lab == i)[:, 0].mean()) for i in (L4, L5))
    return (l5 - row) / (l5 - l4)


@pytest.fixture(scope="module")
def phantom() -> Any:
    from vertapp.synth import make_ct_phantom

    return make_ct_phantom(seed=0, first="T10", last="L5")


@pytest.mark.parametrize("degrees", [-15.0, 15.0])
def test_a_ct_tilted_front_to_back_keeps_the_landmark_by_l5(phantom: Any, degrees: float) -> None:
    """By the scanner's z the landmark moved 0.16-0.20 of a spacing on this phantom
    (+0.34 -> +0.14 / +0.50; the real TotalSegmentator CT tilted 15 degrees: +0.29 ->
    +0.51, every level one off); along the spine it stays put."""
    level = _offset(phantom.volume, phantom.vertebra_labels)
    tilted = _offset(_tilted(phantom.volume, degrees), phantom.vertebra_labels)
    assert abs(level) <= 0.5
    assert abs(tilted - level) <= 0.1, (level, tilted)


def _result(circles: list[tuple[float, float, float]], track_y: Any) -> Any:
    """What `hip_top_z` reads of a MipResult: hip circles (z, x, y) and a canal track on
    1 mm slices z = 0..299 at x = 0, y = track_y(z), seen on every fifth slice."""
    z = np.arange(300.0)
    track = np.column_stack([z, np.zeros_like(z), track_y(z)])
    c = np.array([[cz, cx, cy, 4.0, 0.0] for cz, cx, cy in circles]).reshape(-1, 5)
    return SimpleNamespace(
        circles=c,
        circle_slice=np.round(c[:, 0]).astype(int),
        circle_capped=np.zeros(len(c), bool),
        circle_on_track=np.zeros(len(c), bool),
        track=track,
        track_detected=(np.arange(300) % 5) == 0,
    )


def _pelvis(top: float, behind: float = 0.0) -> list[tuple[float, float, float]]:
    """Marrow circles of both iliac wings from `top` down 40 mm, `behind` mm behind the canal."""
    return [(top - d, side * 60.0, behind) for d in range(0, 40, 2) for side in (-1, 1)]


def test_the_hip_top_is_read_where_the_spine_meets_it() -> None:
    """A spine leaning 15 degrees (canal y = b z, b = -tan 15; LPS: +y is back) and the hip
    top 25 mm behind it at z 100: the plane through that point perpendicular to the spine
    meets the canal at z = 100 + 25 b / (1 + b^2), 6 mm lower than the point's own z."""
    b = -np.tan(np.deg2rad(15.0))
    circles = [(z, x, y + b * z) for z, x, y in _pelvis(100.0, 25.0)]
    z = hip_top_z(_result(circles, lambda z: b * z))
    assert z == pytest.approx(100.0 + 25.0 * b / (1 + b * b), abs=0.5)
    assert abs(z - 100.0) > 5.0


def test_circles_far_above_the_pelvis_are_not_its_top() -> None:
    """A pair of closed circles 150 mm above the hip bones (an arch cut obliquely) left out;
    the largest run of hip circles is the pelvis."""
    above = [(250.0, 30.0, 0.0), (249.0, 31.0, 0.0)]
    z = hip_top_z(_result(_pelvis(100.0) + above, lambda z: 0 * z))
    assert z == pytest.approx(100.0)
    # a gap under a vertebra's height is the same hip bone
    near = [(120.0, 60.0, 0.0), (119.0, 61.0, 0.0)]
    assert hip_top_z(_result(_pelvis(100.0) + near, lambda z: 0 * z)) == pytest.approx(120.0)


def test_too_little_canal_to_fit_the_spine_keeps_the_scanners_z() -> None:
    b = -np.tan(np.deg2rad(15.0))
    res = _result([(z, x, y + b * z) for z, x, y in _pelvis(100.0, 25.0)], lambda z: b * z)
    res.track_detected = np.zeros(300, bool)
    res.track_detected[[100, 110]] = True
    assert hip_top_z(res) == pytest.approx(100.0)
