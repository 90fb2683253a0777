"""Anatomical landmarks that preprocessing finds on the way, kept with the MIP for numbering.

The top of the hip bones. The k-means step finds circles in the marrow of the iliac
wings (`hips.hip_circles`). Where the highest of them lies tells which vertebra is L5,
independently of any model: on the 4 real CTs here that show the pelvis (VerSe'19 and the
TotalSegmentator example) the highest hip circle lies within 0.4 of a vertebra's spacing
of L5's centre (+0.34, -0.35, -0.39, +0.31); the iliac crest's top is classically at
L4/L5, and the marrow starts a little below it. A CT that stops above the pelvis has no
hip circle: no landmark, not a wrong one.

An image record keeps it as `vertapp.landmarks.hip_top_row` (the MIP row; null when the
CT was looked at and shows no hip bone); `vertapp.annotations.landmarks` reads it back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vertapp.annotations.landmarks import HIP_TOP
from vertapp.preprocess.hips import hip_circles
from vertapp.preprocess.result import MipResult

# A hip circle counts only with a second one on the same side within this many mm (up or
# down, and across): one circle alone may be a vessel or noise seen on one slice.
PAIR_Z_MM, PAIR_X_MM = 3.0, 10.0
# ... and only beside the canal: the top of the iliac wings (their thick posterior part by
# the sacro-iliac joints) lies 28-70 mm left or right of it and -8..+29 mm front to back on
# the real CTs here. A real thoracic DICOM series (T11-T12, arms down) showed 71 "hip"
# circles: in the humeri (206 mm out) and in contrast-filled organs 60-120 mm in front.
MAX_LATERAL_MM, MAX_AP_MM = 100.0, 40.0


def hip_top_z(result: MipResult) -> float | None:
    """z (mm, LPS: up is +) of the highest hip-marrow circle that has a neighbour, or None."""
    c = result.circles
    if not len(c):
        return None
    k = result.circle_slice
    hip = hip_circles(c, k, result.circle_capped, result.circle_on_track, result.track[:, 1])
    hip &= np.abs(c[:, 1] - result.track[k, 1]) <= MAX_LATERAL_MM
    hip &= np.abs(c[:, 2] - result.track[k, 2]) <= MAX_AP_MM
    pts = c[hip, :2]  # z, x
    if len(pts) < 2:
        return None
    dz = np.abs(pts[:, None, 0] - pts[None, :, 0])
    dx = np.abs(pts[:, None, 1] - pts[None, :, 1])
    near = (dz <= PAIR_Z_MM) & (dx <= PAIR_X_MM)
    np.fill_diagonal(near, False)
    paired = near.any(axis=1)
    return float(pts[paired, 0].max()) if paired.any() else None


def hip_top_row(result: MipResult) -> float | None:
    """The MIP row (may lie outside the image) of the top of the hip bones, or None."""
    z = hip_top_z(result)
    return None if z is None else float(result.lps_to_mip((0.0, 0.0, z))[0])


def landmarks(result: MipResult) -> dict[str, Any]:
    """What an image record keeps under vertapp.landmarks for this MIP."""
    row = hip_top_row(result)
    return {HIP_TOP: None if row is None else round(row, 1)}
