"""Putting a label map on the CT's grid, or refusing it in words.

Labels on the CT's own grid are taken as they are. Others are resampled (nearest
neighbour, so ids stay ids) through patient coordinates: each is read in LPS with its
own spacing, origin and direction, so another orientation (PIR, RAS), spacing, crop or
an oblique grid lands where it belongs. Before anything is projected, the labelled
volume that reaches the CT is compared with the labelled volume in the file: labels
that mostly fall outside the CT belong to another scan or frame of reference, and
importing them would draw vertebrae in the wrong place, so they are refused.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from vertapp.errors import InputError
from vertapp.io.volume import Volume

MIN_INSIDE = 0.9  # share of the labelled volume that must land inside the CT
SOFT_TISSUE_HU = 50.0  # labels whose median HU is below this lie mostly off the bone


def ct_reference(volume: Volume) -> sitk.Image:
    """A small image carrying the CT's geometry (what Resample needs as reference)."""
    ref = sitk.Image([int(s) for s in volume.shape[::-1]], sitk.sitkUInt8)
    ref.SetSpacing(volume.spacing)
    ref.SetOrigin(volume.origin)
    ref.SetDirection([float(v) for v in volume.direction.reshape(9)])
    return ref


def labels_on_ct_grid(labels: sitk.Image, volume: Volume, name: str) -> np.ndarray:
    """(z, y, x) uint16 ids on the CT's grid; InputError when they do not overlap it."""
    ref = ct_reference(volume)
    if _same_geometry(labels, ref):
        return sitk.GetArrayFromImage(labels).astype(np.uint16, copy=False)
    resampled = sitk.Resample(
        labels, ref, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16
    )
    out = sitk.GetArrayFromImage(resampled)
    check_overlap(labels, out, volume, name)
    return out


def _same_geometry(a: sitk.Image, b: sitk.Image) -> bool:
    # Tolerance: a hundredth of a voxel, far below anything that moves a label.
    tol = 0.01 * min(b.GetSpacing())
    return (
        a.GetSize() == b.GetSize()
        and np.allclose(a.GetSpacing(), b.GetSpacing(), atol=tol)
        and np.allclose(a.GetOrigin(), b.GetOrigin(), atol=tol)
        and np.allclose(a.GetDirection(), b.GetDirection(), atol=1e-4)
    )


def check_overlap(labels: sitk.Image, on_ct: np.ndarray, volume: Volume, name: str) -> None:
    """Refuse labels whose labelled volume mostly misses the CT."""
    source = sitk.GetArrayViewFromImage(labels)
    before = float(np.count_nonzero(source)) * float(np.prod(labels.GetSpacing()))
    after = float(np.count_nonzero(on_ct)) * float(np.prod(volume.spacing))
    if before == 0:
        return  # an empty map: the caller reports "no vertebra"
    if after == 0:
        raise InputError(
            f"{name}: the labels do not overlap the CT at all (labels span "
            f"{_extent(labels, source)}, the CT {_extent_of_volume(volume)} mm LPS): "
            "they belong to another scan or frame of reference"
        )
    inside = after / before
    if inside < MIN_INSIDE:
        raise InputError(
            f"{name}: only {inside:.0%} of the labelled volume lies inside the CT "
            f"(labels span {_extent(labels, source)}, the CT {_extent_of_volume(volume)} mm "
            "LPS): they do not match this scan"
        )


def soft_tissue_warning(on_ct: np.ndarray, volume: Volume, name: str) -> str | None:
    """A warning when the labelled voxels are mostly not bone (labels shifted or flipped)."""
    mask = on_ct > 0
    if not mask.any():
        return None
    median = float(np.median(volume.array[mask]))
    if median >= SOFT_TISSUE_HU:
        return None
    return (
        f"{name}: the labelled voxels have a median of {median:.0f} HU, soft tissue rather "
        "than bone: check that the labels belong to this CT"
    )


def _extent(image: sitk.Image, array: np.ndarray) -> str:
    idx = np.argwhere(array > 0)  # (z, y, x)
    lo, hi = idx.min(axis=0)[::-1], idx.max(axis=0)[::-1]
    corners = [
        image.TransformContinuousIndexToPhysicalPoint([float(v) for v in c])
        for c in _corners(lo, hi)
    ]
    return _box(np.asarray(corners))


def _extent_of_volume(volume: Volume) -> str:
    hi = np.asarray(volume.shape[::-1]) - 1
    corners = [volume.index_to_lps(np.asarray(c)[::-1]) for c in _corners(np.zeros(3), hi)]
    return _box(np.asarray(corners))


def _corners(lo: np.ndarray, hi: np.ndarray) -> list[tuple[float, float, float]]:
    return [
        (float(x), float(y), float(z))
        for x in (lo[0], hi[0])
        for y in (lo[1], hi[1])
        for z in (lo[2], hi[2])
    ]


def _box(points: np.ndarray) -> str:
    lo, hi = points.min(axis=0), points.max(axis=0)
    return f"x {lo[0]:.0f}..{hi[0]:.0f}, y {lo[1]:.0f}..{hi[1]:.0f}, z {lo[2]:.0f}..{hi[2]:.0f}"
