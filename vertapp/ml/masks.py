"""Mask <-> COCO segmentation (polygons for editing, RLE for scoring).

Uses the annotation layer's geometry when it is installed, so polygons are
rasterised the same way everywhere; falls back to pycocotools / OpenCV.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from pycocotools import mask as mask_utils

geometry: Any
try:  # the annotation layer's implementation, when present
    from vertapp.annotations import geometry
except ImportError:  # pragma: no cover - depends on which layers are installed
    geometry = None


def segmentation_to_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """COCO polygons (list of flat lists) or RLE (dict) -> bool mask (height, width)."""
    if geometry is not None:
        return np.asarray(geometry.segmentation_to_mask(segmentation, height, width), bool)
    if isinstance(segmentation, dict):
        rle = segmentation
        if isinstance(rle.get("counts"), list):
            rle = mask_utils.frPyObjects(rle, height, width)
        return mask_utils.decode(rle).astype(bool)
    polys = [p for p in segmentation or [] if len(p) >= 6]
    if not polys:
        return np.zeros((height, width), bool)
    rles = mask_utils.frPyObjects([list(map(float, p)) for p in polys], height, width)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def mask_to_rle(mask: np.ndarray) -> dict[str, Any]:
    """bool mask -> COCO compressed RLE with `counts` as str (JSON-safe)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def mask_to_coco_polygons(mask: np.ndarray, tolerance: float = 0.5) -> list[list[float]]:
    """bool mask -> COCO polygon list ([[x0, y0, x1, y1, ...], ...]); [] if empty."""
    if geometry is not None:
        polys = geometry.mask_to_polygons(mask.astype(bool), tolerance=tolerance, min_area=1.0)
        return [np.asarray(p, float).reshape(-1).round(2).tolist() for p in polys if len(p) >= 3]
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    out = []
    for c in contours:
        if tolerance > 0:
            c = cv2.approxPolyDP(c, tolerance, True)
        if len(c) >= 3:
            out.append(c.reshape(-1, 2).astype(float).round(2).reshape(-1).tolist())
    return out


def mask_box(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    """Tight xyxy box of a mask (pixel edges), None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)
