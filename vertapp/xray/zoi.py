"""Zones of interest (ZOIs): one per vertebra, its mask and the pixels under it.

As in the X-ray paper's Results, a ZOI's mask is the union of the vertebra's parts (or its
body alone) and its pixels are cut out of the *unprocessed* image with OpenCV, so the values
a surgeon's tool receives are the detector's, not a display rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

from vertapp.errors import InputError
from vertapp.labels import VERTEBRA_ID


@dataclass(frozen=True)
class Zoi:
    """One vertebra's zone: `mask` covers the whole image; `parts` maps part name -> mask."""

    level: str
    mask: np.ndarray  # bool (rows, cols)
    parts: Mapping[str, np.ndarray] = field(default_factory=dict)
    # what a check computed last from this ZOI and its placement (key -> value): after a
    # hand correction only one vertebra moved, the others' results are the same
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    # cached: masks cover the whole image (millions of pixels), so each is computed once,
    # and all but the box on the box alone
    @cached_property
    def bbox(self) -> tuple[int, int, int, int]:
        """[x, y, w, h] of the mask's pixels (as pycocotools reports it for a mask)."""
        x, y, w, h = cv2.boundingRect(self.mask.view(np.uint8))
        return int(x), int(y), int(w), int(h)

    @cached_property
    def centroid(self) -> tuple[float, float]:
        """(col, row) of the mask's centre of mass."""
        x, y, w, h = self.bbox
        m = cv2.moments(self.patch(self.mask).view(np.uint8), binaryImage=True)
        return float(m["m10"] / m["m00"]) + x, float(m["m01"] / m["m00"]) + y

    @cached_property
    def size_px(self) -> float:
        """A length scale: the square root of the mask's area."""
        return float(np.sqrt(np.count_nonzero(self.patch(self.mask))))

    @cached_property
    def part_spreads(self) -> dict[str, tuple[int, np.ndarray]]:
        """Part -> (its pixel count, the 2x2 covariance of its pixels' (col, row)) inside
        the box. Cached: the torsion check reads every vertebra's after each hand
        correction (computed again, 34 ms of a 47 ms nudge on a 17-vertebra pair)."""
        return {name: _count_and_covariance(self.patch(m)) for name, m in self.parts.items()}

    def patch(self, image: np.ndarray) -> np.ndarray:
        """`image` (the mask, a part mask, ...) inside this ZOI's bounding box."""
        x, y, w, h = self.bbox
        return image[y : y + h, x : x + w]


def cut_out(image: np.ndarray, zoi: Zoi) -> np.ndarray:
    """The ZOI's bounding box of `image`, zero outside the mask, in the image's own dtype."""
    src = np.ascontiguousarray(zoi.patch(image))
    out = np.zeros_like(src)
    cv2.copyTo(src, zoi.patch(zoi.mask).astype(np.uint8), out)
    return out


def zois_from_masks(
    masks: Mapping[str, np.ndarray], parts: Mapping[str, Mapping[str, np.ndarray]] | None = None
) -> dict[str, Zoi]:
    """ZOIs ordered head to feet from level -> mask (and optionally level -> part masks)."""
    out: dict[str, Zoi] = {}
    for level in sorted(masks, key=lambda name: VERTEBRA_ID.get(name, 99)):
        mask = np.ascontiguousarray(masks[level], dtype=bool)
        if not mask.any():
            raise InputError(f"vertebra {level}: its mask is empty (no pixel to cut out)")
        out[level] = Zoi(level, mask, dict(parts.get(level, {})) if parts else {})
    return out


def _count_and_covariance(mask: np.ndarray) -> tuple[int, np.ndarray]:
    """Pixels of `mask`, and the covariance of their (col, row) (zeros under 3 pixels)."""
    rows, cols = np.nonzero(mask)
    if rows.size < 3:
        return int(rows.size), np.zeros((2, 2))
    return int(rows.size), np.atleast_2d(np.cov(np.vstack([cols, rows]).astype(float)))
