"""A cross-check of each alignment against the low-dose outline.

The low-dose outline is rough (its vertices are its own, it may be grown or shrunk by a few
pixels), so it does not steer the alignment; but its centroid and the direction of its long
axis survive that roughness. When the high-dose ZOI mapped by the estimated similarity lands
away from them, the image match found something else (a neighbour's edge, a rib), and the
vertebra is flagged instead of passed off as aligned.

How far is "away" depends on the ZOI: its own outline grown or shrunk by ROUGH_PX moves
its centre and turns its long axis by some amount (a small thoracic ZOI, ~30 px at 1 mm,
whose thin processes vanish when shrunk by 3 px: ~4 px and up to 12 deg; a lumbar body
at 0.2 mm: a fraction of a pixel). That much, measured on the high-dose ZOI itself, is
added to the limits: the roughness of an outline alone is never taken for a bad match.
"""

from __future__ import annotations

import cv2
import numpy as np

from vertapp.xray.similarity import Similarity, apply_matrix
from vertapp.xray.zoi import Zoi

CENTROID_FRACTION = 0.06  # mapped centroid this share of the ZOI size from the outline's ...
CENTROID_MIN_PX = 3.0  # ... and at least this many pixels -> flag
AXIS_DEG = 3.0  # long axes this far apart -> flag
ELONGATION = 2.0  # the axis test needs a mask this elongated (variance ratio)
DOUBTFUL = "alignment doubtful"  # how every warning of this check starts
ROUGH_PX = 3  # a rough outline may be grown or shrunk by this much (the 1-3 px)


def outline_warnings(matrix: np.ndarray, high: Zoi, low: Zoi) -> list[str]:
    out = []
    spread_px, spread_deg = _roughness_spread(high)
    mapped = apply_matrix(matrix, np.array(high.centroid))[0]
    dist = float(np.hypot(*(mapped - np.array(low.centroid))))
    limit = max(CENTROID_MIN_PX, CENTROID_FRACTION * high.size_px) + spread_px
    if dist > limit:
        out.append(
            f"{DOUBTFUL}: the ZOI lands {dist:.1f} px from the low-dose outline's "
            f"centre (limit {limit:.1f} px)"
        )
    axis_h, elong = _axis(_patch(high))
    axis_l, _ = _axis(_patch(low))
    if elong >= ELONGATION:
        turn = Similarity.from_matrix(matrix, high.centroid).angle_deg
        # image rows grow downwards: a counter-clockwise turn lowers the axis angle
        diff = _angle_diff(axis_l, axis_h - turn)
        axis_limit = AXIS_DEG + spread_deg
        if abs(diff) > axis_limit:
            out.append(
                f"{DOUBTFUL}: its long axis is {abs(diff):.1f} deg off the low-dose "
                f"outline's (limit {axis_limit:.0f} deg)"
            )
    return out


def _patch(zoi: Zoi, pad: int = 0) -> np.ndarray:
    """The ZOI's mask in its box (uint8, 0/1), with `pad` empty pixels around."""
    patch = np.ascontiguousarray(zoi.patch(zoi.mask)).view(np.uint8)
    return cv2.copyMakeBorder(patch, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)


def _angle_diff(a: float, b: float) -> float:
    """a - b for axis directions (deg, modulo 180), in -90..90."""
    return (a - b + 90.0) % 180.0 - 90.0


def _roughness_spread(zoi: Zoi) -> tuple[float, float]:
    """How far the ZOI's centre moves (px) and its long axis turns (deg) when its outline
    is grown or shrunk by ROUGH_PX: what a rough twin of it may show without any error."""
    patch = _patch(zoi, ROUGH_PX + 1)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ROUGH_PX + 1, 2 * ROUGH_PX + 1))
    centre, (axis, _) = _centre(patch), _axis(patch)
    moves, turns = [0.0], [0.0]
    for changed in (cv2.erode(patch, disk), cv2.dilate(patch, disk)):
        if cv2.countNonZero(changed) == 0:
            continue
        moves.append(float(np.hypot(*(_centre(changed) - centre))))
        turns.append(abs(_angle_diff(_axis(changed)[0], axis)))
    return max(moves), max(turns)


def _centre(mask: np.ndarray) -> np.ndarray:
    m = cv2.moments(mask, binaryImage=True)
    return np.array([m["m10"] / m["m00"], m["m01"] / m["m00"]])


def _axis(mask: np.ndarray) -> tuple[float, float]:
    """Direction (deg) of the mask's long axis and its elongation (variance ratio)."""
    m = cv2.moments(mask, binaryImage=True)
    angle = 0.5 * float(np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])))
    ev = np.linalg.eigvalsh(np.array([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]]))
    return angle, float(ev[1] / max(ev[0], 1e-9))
