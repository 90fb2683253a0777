"""Anatomical landmarks that preprocessing finds on the way, kept with the MIP for numbering.

The top of the hip bones. The k-means step finds circles in the marrow of the iliac
wings (`hips.hip_circles`). Where the highest of them lies tells which vertebra is L5,
independently of any model: on the 4 real CTs here that show the pelvis (VerSe'19 and the
TotalSegmentator example) the highest hip circle lies within half a vertebra's spacing of
L5's centre (TotalSegmentator +0.40, sub-verse005 +0.32, 006 -0.30, 008 -0.47 by the
rule below; by the scanner's z +0.29, +0.31, -0.39, -0.44); the iliac crest's top is
classically at L4/L5, and the marrow starts a little below it. A CT that stops above the
pelvis has no hip circle: no landmark, not a wrong one.

Measured along the spine, not along the scanner's z. The hip circles lie beside the
canal, 0-30 mm behind or in front of it; a patient lying tilted (or a tilted gantry)
moves them up or down against the vertebrae by that offset times the tilt's sine, and
the scanner's z then put the landmark between L4 and L5 (TotalSegmentator's CT tilted
15 degrees front to back: +0.51 of a spacing, every level one off). So each hip circle is
carried to the spine along the plane perpendicular to the lumbar spine's axis (a line
fitted to the canal track over the `AXIS_MM` above the hip top: L2-L5; not the local
direction at L5, which the lordosis turns by 20-40 degrees and where the canal is seen on
few slices), and the landmark is the MIP row where that plane meets the axis. Only the
axis's front-to-back course counts: its left-right course is mostly a scoliosis (the
pelvis stays level), and the hip circles lie 30-70 mm to the side, so it would move each
side's circles by the curve times that (the scoliotic phantoms: +0.34..+0.39 -> +0.61..
+0.69 of a spacing); a scan tilted left to right is not corrected (its hip circles are
mostly not found: TotalSegmentator's tilted 15 degrees kept 25 of 284).
Where the track shows too little of the spine there (under `AXIS_MIN_POINTS` canal
circles over `AXIS_MIN_SPAN_MM`) the scanner's z is used, as before.

The hip bones are one body of marrow: the landmark is the top of the largest run of hip
circles, a run ending where a gap of more than `RUN_GAP_MM` (a vertebra's height) opens.
Circles above such a gap are something else: sub-verse008 tilted 10 or 15 degrees
showed closed circles 25-30 mm beside and behind the canal (a vertebral arch cut
obliquely) 130-160 mm above the pelvis, and the landmark read five levels too high.

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
# The hip circles' run ends at a gap longer than a lumbar vertebra with its disc (module doc).
RUN_GAP_MM = 30.0
# The spine's axis: the canal track over this many mm above the hip top (L2-L5), from at
# least this many canal circles spanning this many mm; a steeper one is no spine's.
AXIS_MM, AXIS_MIN_POINTS, AXIS_MIN_SPAN_MM = 120.0, 5, 30.0
AXIS_MAX_SLOPE = 1.0  # 45 degrees off the scanner's z


def hip_points(result: MipResult) -> np.ndarray:
    """(n, 3) z, x, y mm (LPS) of the hip-marrow circles that have a neighbour on their side."""
    c = result.circles
    if not len(c):
        return np.zeros((0, 3))
    k = result.circle_slice
    hip = hip_circles(c, k, result.circle_capped, result.circle_on_track, result.track[:, 1])
    hip &= np.abs(c[:, 1] - result.track[k, 1]) <= MAX_LATERAL_MM
    hip &= np.abs(c[:, 2] - result.track[k, 2]) <= MAX_AP_MM
    pts = c[hip, :3]
    dz = np.abs(pts[:, None, 0] - pts[None, :, 0])
    dx = np.abs(pts[:, None, 1] - pts[None, :, 1])
    near = (dz <= PAIR_Z_MM) & (dx <= PAIR_X_MM)
    np.fill_diagonal(near, False)
    return pts[near.any(axis=1)]


def largest_run(z: np.ndarray) -> np.ndarray:
    """Which of the heights `z` belong to the run with the most of them, a run ending at a
    gap over RUN_GAP_MM (ties: the lowest run, where the pelvis lies)."""
    order = np.argsort(z)
    run = np.concatenate([[0], np.cumsum(np.diff(z[order]) > RUN_GAP_MM)])
    counts = np.bincount(run)
    best = int(np.argmax(counts))  # argmax takes the first: the lowest of equal runs
    keep = np.zeros(len(z), bool)
    keep[order[run == best]] = True
    return keep


def spine_axis(result: MipResult, z_from: float) -> tuple[float, float] | None:
    """(dy/dz, y at z=0): the front-to-back course of a line fitted to the canal circles
    over the AXIS_MM above `z_from`; None where they are too few or the line too steep."""
    track, seen = result.track, result.track_detected
    z = track[:, 0]
    sel = seen & (z >= z_from) & (z <= z_from + AXIS_MM)
    if sel.sum() < AXIS_MIN_POINTS or np.ptp(z[sel]) < AXIS_MIN_SPAN_MM:
        return None
    slope, y0 = np.polyfit(z[sel], track[sel, 2], 1)
    return None if abs(slope) > AXIS_MAX_SLOPE else (float(slope), float(y0))


def along_spine_z(pts: np.ndarray, axis: tuple[float, float] | None) -> np.ndarray:
    """z (mm) where the plane through each point (z, x, y) perpendicular to the spine's
    axis (in the sagittal plane) meets the axis; the points' own z where there is none."""
    if axis is None:
        return pts[:, 0].copy()
    b, y0 = axis
    return (pts[:, 0] + b * (pts[:, 2] - y0)) / (1 + b * b)


def hip_top_z(result: MipResult) -> float | None:
    """z (mm, LPS: up is +) at which the spine's canal lies level with the top of the hip
    bones' marrow (module doc), or None."""
    pts = hip_points(result)
    if len(pts) < 2:
        return None
    pts = pts[largest_run(pts[:, 0])]
    return float(along_spine_z(pts, spine_axis(result, float(pts[:, 0].max()))).max())


def hip_top_row(result: MipResult) -> float | None:
    """The MIP row (may lie outside the image) of the top of the hip bones, or None."""
    z = hip_top_z(result)
    return None if z is None else float(result.lps_to_mip((0.0, 0.0, z))[0])


def landmarks(result: MipResult) -> dict[str, Any]:
    """What an image record keeps under vertapp.landmarks for this MIP."""
    row = hip_top_row(result)
    return {HIP_TOP: None if row is None else round(row, 1)}
