"""Bone voxels a vertebra label may take: cortex and the marrow it encloses.

- Noise: real CTs have soft-tissue voxels that noise lifts above any bone threshold, so
  the HU are smoothed (Gaussian, `smooth_mm`) before thresholding and specks smaller than
  `min_bone_mm3` are dropped.
- Marrow: cancellous bone (osteoporosis, fatty marrow) often lies below 100 HU, even
  below 0 HU, so a threshold leaves the vertebral body hollow. On each axial slice the
  bone is closed (seals the basivertebral foramen and partial-volume gaps in thin cortex)
  and its enclosed holes are marrow, except holes too large to be a vertebral body's (a
  closed ring of ribs, the pelvis) and the spinal canal.
- Canal: enclosed by the arch too, but not bone, and its HU overlap fatty marrow's. What
  tells them apart is what lies in front: a whole vertebral body (bone and marrow, >=
  `canal_front_mm` deep) in front of the canal, a cortex of a few mm in front of the
  marrow. This needs no canal position: preprocessing's canal track is a guess between
  detections and, on noisy narrow scans, can lock onto noise holes beside the spine.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi


def smoothed_bone(
    hu: np.ndarray,
    spacing_xyz: tuple[float, float, float],
    bone_hu: float,
    smooth_mm: float,
    min_bone_mm3: float,
) -> np.ndarray:
    """bool (z, y, x): smoothed HU >= `bone_hu`, without specks."""
    sigma = [smooth_mm / s for s in spacing_xyz[::-1]]
    bone = ndi.gaussian_filter(hu.astype(np.float32), sigma, truncate=2.5) >= bone_hu
    comp, n = ndi.label(bone)
    if n:
        sizes = np.bincount(comp.ravel())
        keep = sizes * float(np.prod(spacing_xyz)) >= min_bone_mm3
        keep[0] = False
        bone = keep[comp]
    return bone


def with_marrow(
    bone: np.ndarray,
    spacing_xyz: tuple[float, float, float],
    close_mm: float,
    max_hole_mm2: float,
    canal_front_mm: float,
) -> np.ndarray:
    """`bone` plus the holes it encloses on each axial slice, but not the canal."""
    sx, sy = spacing_xyz[0], spacing_xyz[1]
    kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE,
        (2 * max(1, round(close_mm / sx)) + 1, 2 * max(1, round(close_mm / sy)) + 1),
    )
    max_px = max_hole_mm2 / (sx * sy)
    front_px = canal_front_mm / sy
    out = bone.copy()
    for z in range(bone.shape[0]):
        if bone[z].any():
            out[z] |= _marrow(bone[z], kernel, max_px, front_px)
    return out


def _marrow(bone: np.ndarray, kernel: np.ndarray, max_px: float, front_px: float) -> np.ndarray:
    """Holes of the closed bone mask of one slice, without huge ones and the canal."""
    pad = max(kernel.shape)  # closing must not glue the mask to the image border
    closed = cv2.morphologyEx(np.pad(bone, pad).view(np.uint8), cv2.MORPH_CLOSE, kernel)
    closed = closed[pad:-pad, pad:-pad].astype(bool)
    filled = ndi.binary_fill_holes(closed)
    comp, n = ndi.label(filled & ~closed)
    if n == 0:
        return np.zeros_like(bone)
    keep = np.bincount(comp.ravel(), minlength=n + 1) <= max_px
    keep[0] = False
    for h, box in enumerate(ndi.find_objects(comp), start=1):
        if keep[h] and _front_run(filled, comp[box] == h, box) >= front_px:
            keep[h] = False  # a whole vertebral body in front of it: the canal
    return keep[comp]


def _front_run(filled: np.ndarray, hole: np.ndarray, box: tuple[slice, slice]) -> float:
    """Median length (px) of the filled run just anterior (lower y) of the hole's front
    edge, over the hole's middle columns."""
    cols = np.flatnonzero(hole.any(axis=0))
    mid = cols[len(cols) // 4 : len(cols) - len(cols) // 4] if len(cols) > 3 else cols
    runs = []
    for c in mid:
        y = box[0].start + int(np.argmax(hole[:, c])) - 1
        x = box[1].start + int(c)
        run = 0
        while y >= 0 and filled[y, x]:
            run, y = run + 1, y - 1
        runs.append(run)
    return float(np.median(runs))
