"""Bone voxels a vertebra label may take: cortex and the marrow it encloses.

- Noise: real CTs have soft-tissue voxels that noise lifts above any bone threshold, so
  the HU are smoothed (Gaussian, `smooth_mm`) before thresholding and specks smaller than
  `min_bone_mm3` are dropped.
- Marrow: cancellous bone (osteoporosis, fatty marrow) often lies below 100 HU, even
  below 0 HU, so a threshold leaves the vertebral body hollow. Marrow is what the bone
  encloses: on each slice the bone is closed (seals partial-volume gaps in thin cortex and
  endplates) and its holes filled. One plane is not enough. On an axial slice the spinal
  canal is enclosed by the arch, and a slice through a tilted disc shows the disc inside
  the ring of the endplate's rim; neither is bone. But the canal runs on along z (not
  enclosed on coronal or sagittal slices) and the disc opens to the front and sides (not
  enclosed on coronal or sagittal slices either), while the marrow is enclosed on axial,
  coronal and sagittal slices alike. So a voxel is marrow when it lies in a hole on at
  least two of the three planes: a body whose cortex has one gap on one plane still fills,
  and no canal position is needed (preprocessing's canal track is a straight guess
  between detections).
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
) -> tuple[np.ndarray, np.ndarray]:
    """bool (z, y, x) smoothed HU >= `bone_hu` without specks, and the smoothed HU."""
    sigma = [smooth_mm / s for s in spacing_xyz[::-1]]
    smooth = ndi.gaussian_filter(hu.astype(np.float32), sigma, truncate=2.5)
    bone = smooth >= bone_hu
    comp, n = ndi.label(bone)
    if n:
        sizes = np.bincount(comp.ravel())
        keep = sizes * float(np.prod(spacing_xyz)) >= min_bone_mm3
        keep[0] = False
        bone = keep[comp]
    return bone, smooth


def peel_to_edge(
    region: np.ndarray,
    smooth: np.ndarray,
    spacing_xyz: tuple[float, float, float],
    edge_mm: float,
    soft_hu: float,
    fraction: float = 0.5,
) -> np.ndarray:
    """Drop surface voxels darker than half-way between soft tissue and the brightest bone
    within `edge_mm`: a blurred bone edge lies at half maximum, while the low threshold
    that keeps thin cortex connected takes in a rim of partial-volume voxels outside it."""
    size = [max(3, 2 * int(edge_mm / s) + 1) for s in spacing_xyz[::-1]]
    half = soft_hu + fraction * (ndi.maximum_filter(smooth, size=size) - soft_hu)
    surface = region & ~ndi.binary_erosion(region)
    return region & ~(surface & (smooth < half))


def with_marrow(
    bone: np.ndarray,
    spacing_xyz: tuple[float, float, float],
    close_mm: float,
    max_hole_mm2: float,
    min_planes: int = 2,
) -> np.ndarray:
    """`bone` plus what it encloses on at least `min_planes` of the three slice planes."""
    sx, sy, sz = spacing_xyz
    votes = np.zeros(bone.shape, np.uint8)
    coronal = np.zeros(bone.shape, bool)
    # (axis the slices are taken along, spacing of the slice's rows, of its columns)
    for axis, (s_row, s_col) in ((0, (sy, sx)), (1, (sz, sx)), (2, (sz, sy))):
        kernel = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE,
            # never bridge more than ~2 close_mm: no closing along axes coarser than close_mm
            (2 * int(close_mm / s_col) + 1, 2 * int(close_mm / s_row) + 1),
        )
        max_px = max_hole_mm2 / (s_row * s_col)
        moved = np.moveaxis(bone, axis, 0)
        out = np.moveaxis(votes, axis, 0)
        for i in range(moved.shape[0]):
            if moved[i].any():
                enclosed = _enclosed(moved[i], kernel, max_px)
                out[i] += enclosed
                if axis == 1:
                    coronal[:, i] = enclosed
    marrow = votes >= min_planes
    # the basivertebral foramen opens the marrow into the canal on axial and midsagittal
    # slices at mid-body; there the coronal plane alone encloses it, with marrow above and
    # below in the same column (the canal and the discs are never coronal holes)
    reach = max(1, int(round(SANDWICH_MM / sz)))
    return bone | marrow | (coronal & _between_along_z(marrow, reach))


SANDWICH_MM = 8.0  # the basivertebral foramen is a few mm tall


def _between_along_z(mask: np.ndarray, reach: int) -> np.ndarray:
    """bool: voxels with a `mask` voxel within `reach` slices above and below them."""
    cs = np.concatenate(
        [np.zeros((1,) + mask.shape[1:], np.int32), np.cumsum(mask, axis=0, dtype=np.int32)]
    )
    n = mask.shape[0]
    z = np.arange(n)
    below = cs[z] - cs[np.clip(z - reach, 0, n)]  # slices z-reach .. z-1
    above = cs[np.clip(z + 1 + reach, 0, n)] - cs[z + 1]  # slices z+1 .. z+reach
    return (below > 0) & (above > 0)


def _enclosed(bone: np.ndarray, kernel: np.ndarray, max_px: float) -> np.ndarray:
    """What the closed bone mask of one slice encloses (its holes and its own gaps),
    without holes too large to be a vertebral body's (a closed ring of ribs, the pelvis)."""
    pad = max(kernel.shape)  # closing must not glue the mask to the image border
    closed_u8 = cv2.morphologyEx(np.pad(bone, pad).view(np.uint8), cv2.MORPH_CLOSE, kernel)
    closed: np.ndarray = closed_u8[pad:-pad, pad:-pad] > 0
    # holes: components of the background that do not touch the slice's border
    comp, n = ndi.label(np.logical_not(closed))
    if n == 0:
        return closed & ~bone
    keep = np.bincount(comp.ravel(), minlength=n + 1) <= max_px
    border = np.concatenate([comp[0], comp[-1], comp[:, 0], comp[:, -1]])
    keep[border] = False
    keep[0] = True  # the closed mask itself: speckle holes and sealed cortex gaps
    outside = np.zeros(n + 1, bool)
    outside[border] = True
    outside[0] = False
    # but not what the closing added on the outer surface (it rounds concave corners
    # between processes; that is not bone): closing-made pieces that touch the outside
    facing_out = cv2.dilate(outside[comp].view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    added, m = ndi.label(closed & ~bone)
    outer = np.zeros(m + 1, bool)
    outer[np.unique(added[facing_out & (added > 0)])] = True
    outer[0] = False
    return keep[comp] & ~bone & ~outer[added]
