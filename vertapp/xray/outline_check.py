"""A cross-check of each alignment against the low-dose outline.

The low-dose outline is rough (its vertices are its own, it may be grown or shrunk by a few
pixels), so it does not steer the alignment; but its centroid and the direction of its long
axis survive that roughness. When the high-dose ZOI mapped by the estimated similarity lands
away from them, the image match found something else (a neighbour's edge, a rib), and the
vertebra is flagged instead of passed off as aligned.
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


def outline_warnings(matrix: np.ndarray, high: Zoi, low: Zoi) -> list[str]:
    out = []
    mapped = apply_matrix(matrix, np.array(high.centroid))[0]
    dist = float(np.hypot(*(mapped - np.array(low.centroid))))
    limit = max(CENTROID_MIN_PX, CENTROID_FRACTION * high.size_px)
    if dist > limit:
        out.append(
            f"{DOUBTFUL}: the ZOI lands {dist:.1f} px from the low-dose outline's "
            f"centre (limit {limit:.1f} px)"
        )
    axis_h, elong = _axis(high)
    axis_l, _ = _axis(low)
    if elong >= ELONGATION:
        turn = Similarity.from_matrix(matrix, high.centroid).angle_deg
        # image rows grow downwards: a counter-clockwise turn lowers the axis angle
        diff = (axis_l - (axis_h - turn) + 90.0) % 180.0 - 90.0
        if abs(diff) > AXIS_DEG:
            out.append(
                f"{DOUBTFUL}: its long axis is {abs(diff):.1f} deg off the low-dose "
                f"outline's (limit {AXIS_DEG:.0f} deg)"
            )
    return out


def _axis(zoi: Zoi) -> tuple[float, float]:
    """Direction (deg) of the mask's long axis and its elongation (variance ratio)."""
    m = cv2.moments(np.ascontiguousarray(zoi.patch(zoi.mask)).view(np.uint8), binaryImage=True)
    angle = 0.5 * float(np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])))
    ev = np.linalg.eigvalsh(np.array([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]]))
    return angle, float(ev[1] / max(ev[0], 1e-9))
