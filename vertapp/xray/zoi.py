"""Zones of interest (ZOIs): one per vertebra, its mask and the pixels under it.

As in the X-ray paper's Results, a ZOI's mask is the union of the vertebra's parts (or its
body alone) and its pixels are cut out of the *unprocessed* image with OpenCV, so the values
a surgeon's tool receives are the detector's, not a display rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """[x, y, w, h] of the mask's pixels (as pycocotools reports it for a mask)."""
        x, y, w, h = cv2.boundingRect(self.mask.astype(np.uint8))
        return int(x), int(y), int(w), int(h)

    @property
    def centroid(self) -> tuple[float, float]:
        """(col, row) of the mask's centre of mass."""
        m = cv2.moments(self.mask.astype(np.uint8), binaryImage=True)
        return float(m["m10"] / m["m00"]), float(m["m01"] / m["m00"])

    @property
    def size_px(self) -> float:
        """A length scale: the square root of the mask's area."""
        return float(np.sqrt(np.count_nonzero(self.mask)))


def cut_out(image: np.ndarray, zoi: Zoi) -> np.ndarray:
    """The ZOI's bounding box of `image`, zero outside the mask, in the image's own dtype."""
    x, y, w, h = zoi.bbox
    src = np.ascontiguousarray(image[y : y + h, x : x + w])
    out = np.zeros_like(src)
    cv2.copyTo(src, zoi.mask[y : y + h, x : x + w].astype(np.uint8), out)
    return out


def zois_from_masks(
    masks: Mapping[str, np.ndarray], parts: Mapping[str, Mapping[str, np.ndarray]] | None = None
) -> dict[str, Zoi]:
    """ZOIs ordered head to feet from level -> mask (and optionally level -> part masks)."""
    out: dict[str, Zoi] = {}
    for level in sorted(masks, key=lambda name: VERTEBRA_ID.get(name, 99)):
        mask = np.asarray(masks[level], dtype=bool)
        if not mask.any():
            raise InputError(f"vertebra {level}: its mask is empty (no pixel to cut out)")
        out[level] = Zoi(level, mask, dict(parts.get(level, {})) if parts else {})
    return out
