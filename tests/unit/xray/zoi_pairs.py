"""Synthetic low-/high-dose pairs as ZOIs, with rough low-dose outlines (test helper)."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
from shapely.geometry import Polygon

from vertapp.annotations.geometry import polygons_to_mask
from vertapp.synth import RadiographPair, make_radiograph_pair
from vertapp.xray.zoi import Zoi, zois_from_masks


@cache
def pair(
    seed: int = 0, first: str = "T10", last: str = "L5", torsion: str | None = None
) -> RadiographPair:
    return make_radiograph_pair(seed, first, last, torsion=torsion)


def parts_by_level(parts) -> dict[str, dict[str, np.ndarray]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict[str, np.ndarray]] = {}
    for p in parts:
        out.setdefault(p.level, {})[p.part] = p.mask
    return out


def rough(mask: np.ndarray, offset_px: float) -> np.ndarray:
    """The mask's outline redrawn as a predicted one: its own vertices (simplified), grown
    (offset > 0) or shrunk (< 0) by `offset_px`."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    biggest = max(contours, key=cv2.contourArea)[:, 0, :].astype(float)
    poly = Polygon(biggest).buffer(offset_px, join_style=2).simplify(1.0)
    if poly.geom_type != "Polygon" or poly.is_empty:
        return mask
    return polygons_to_mask([np.asarray(poly.exterior.coords)[:-1]], *mask.shape)


def zoi_sets(
    p: RadiographPair, offsets: dict[str, float] | None = None
) -> tuple[dict[str, Zoi], dict[str, Zoi]]:
    """(low ZOIs, high ZOIs); `offsets` roughens the low-dose outline of the named levels."""
    low = dict(p.low_vertebrae)
    for level, off in (offsets or {}).items():
        low[level] = rough(low[level], off)
    return (
        zois_from_masks(low, parts_by_level(p.low_parts)),
        zois_from_masks(p.high_vertebrae, parts_by_level(p.high_parts)),
    )


def rough_offsets(levels, seed: int = 0) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Each level's outline grown or shrunk by 1-3 px (signs and sizes drawn per level)."""
    rng = np.random.default_rng(seed)
    return {lv: float(rng.choice([-1, 1]) * rng.uniform(1.0, 3.0)) for lv in levels}
