"""Ordering DICOM slices in space and checking they form a regular grid.

Slices are ordered by ImagePositionPatient projected on the slice normal
(the cross product of the ImageOrientationPatient row and column vectors),
never by file name or InstanceNumber. Duplicated, missing or unevenly spaced
slices are detected: small irregularities are resampled onto a regular grid
with a warning; a gap too large to interpolate honestly is refused. Gantry
tilt shows as slice origins sliding in-plane along the stack; it is undone by
shifting each slice back (linear interpolation) so the grid is orthogonal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from vertapp.errors import InputError
from vertapp.io.dicom_headers import SliceHeader

DUPLICATE_MM = 0.01  # positions closer than this are the same slice
REL_TOLERANCE = 0.01  # spacing may vary by 1 % before we call it uneven
MAX_GAP_STEPS = 10.0  # refuse to interpolate across a gap of more than 10 slices
TILT_SHIFT_VOXELS = 0.05  # in-plane drift below this over the whole stack is noise


@dataclass
class SliceLayout:
    """Sorted slices and what it takes to make them a regular, orthogonal grid."""

    headers: list[SliceHeader]
    positions: np.ndarray  # mm along the normal, ascending
    step: float  # regular slice spacing (mm)
    normal: np.ndarray
    targets: np.ndarray | None = None  # positions to resample onto; None when regular
    inplane_shift: np.ndarray | None = None  # (n, 2) (row, col) voxel shifts; None: no tilt
    warnings: list[str] = field(default_factory=list)


def layout_slices(headers: list[SliceHeader], source: str) -> SliceLayout:
    """Sort, de-duplicate and check the spacing of one series' slices."""
    normal = _series_normal(headers, source)
    positions = np.array([float(h.position @ normal) for h in headers])  # type: ignore[operator]
    order = np.argsort(positions, kind="stable")
    headers = [headers[i] for i in order]
    positions = positions[order]
    headers, positions, warnings = _drop_duplicates(headers, positions)
    if len(headers) < 2:
        raise InputError(f"{source}: all slices of the series are at the same position")
    step, targets, grid_warnings = _plan_grid(positions, source)
    layout = SliceLayout(
        headers, positions, step, normal, targets, warnings=warnings + grid_warnings
    )
    _plan_tilt(layout)
    return layout


def _series_normal(headers: list[SliceHeader], source: str) -> np.ndarray:
    normal = headers[0].normal
    if normal is None or any(h.position is None for h in headers):
        raise InputError(
            f"{source}: slices lack ImagePositionPatient/ImageOrientationPatient; "
            "they cannot be ordered in space"
        )
    if headers[0].pixel_spacing is None:
        raise InputError(f"{source}: no PixelSpacing in the series; the voxel size is unknown")
    return normal


def _drop_duplicates(
    headers: list[SliceHeader], positions: np.ndarray
) -> tuple[list[SliceHeader], np.ndarray, list[str]]:
    keep = np.concatenate([[True], np.diff(positions) > DUPLICATE_MM])
    dropped = int(len(keep) - np.count_nonzero(keep))
    if not dropped:
        return headers, positions, []
    kept = [h for h, k in zip(headers, keep, strict=True) if k]
    return kept, positions[keep], [f"{dropped} slices at duplicate positions were ignored"]


def _plan_grid(positions: np.ndarray, source: str) -> tuple[float, np.ndarray | None, list[str]]:
    gaps = np.diff(positions)
    step = float(np.median(gaps))
    tol = max(REL_TOLERANCE * step, 1e-3)
    if np.all(np.abs(gaps - step) <= tol):
        return float(np.mean(gaps)), None, []
    worst = int(np.argmax(gaps))
    if gaps[worst] > MAX_GAP_STEPS * step:
        raise InputError(
            f"{source}: slices missing: a gap of {gaps[worst]:.1f} mm between "
            f"{positions[worst]:.1f} and {positions[worst + 1]:.1f} mm along the slice normal "
            f"(spacing {step:.2f} mm); refusing to interpolate across it"
        )
    count = int(round((positions[-1] - positions[0]) / step))
    targets = positions[0] + step * np.arange(count + 1)
    targets = targets[targets <= positions[-1] + tol]
    return step, targets, [_grid_warning(gaps, step, tol, len(targets))]


def _grid_warning(gaps: np.ndarray, step: float, tol: float, n_targets: int) -> str:
    multiples = np.rint(gaps / step)
    on_grid = np.all(np.abs(gaps - multiples * step) <= tol)
    if on_grid:
        missing = int(np.sum(multiples - 1))
        what = f"{missing} missing slices detected"
    else:
        what = f"uneven slice spacing ({gaps.min():.2f} to {gaps.max():.2f} mm)"
    return f"{what}; resampled onto a regular {step:.2f} mm grid ({n_targets} slices, interpolated)"


def _plan_tilt(layout: SliceLayout) -> None:
    first = layout.headers[0]
    row_dir, col_dir = first.row_dir, first.col_dir
    assert row_dir is not None and col_dir is not None and first.pixel_spacing is not None
    origin = first.position
    offsets = np.array([h.position - origin for h in layout.headers])  # type: ignore[operator]
    # In-plane drift of each slice origin, in voxels along rows (col_dir) and columns (row_dir).
    row_shift = offsets @ col_dir / first.pixel_spacing[0]
    col_shift = offsets @ row_dir / first.pixel_spacing[1]
    drift = float(np.max(np.hypot(row_shift, col_shift)))
    tag_tilt = max(abs(h.gantry_tilt) for h in layout.headers)
    if drift < TILT_SHIFT_VOXELS:
        if tag_tilt > 0.01:
            layout.warnings.append(
                f"GantryDetectorTilt says {tag_tilt:.1f} deg but slice positions show no shear; "
                "used as stored"
            )
        return
    extent = max(float(layout.positions[-1] - layout.positions[0]), 1e-6)
    shear_mm = float(np.hypot(offsets[-1] @ col_dir, offsets[-1] @ row_dir))
    angle = float(np.degrees(np.arctan2(shear_mm, extent)))
    layout.inplane_shift = np.stack([row_shift, col_shift], axis=1)
    layout.warnings.append(
        f"gantry tilt of {angle:.1f} deg: slices were shifted in-plane to undo the shear "
        "(linear interpolation)"
    )


def undo_tilt(stack: np.ndarray, shifts: np.ndarray, fill: float) -> None:
    """Resample slice k in place onto the first slice's in-plane grid (content moves by shifts[k])."""
    # DS strings carry ~1e-6 mm rounding: snap near-integer shifts so whole-voxel drifts stay exact.
    shifts = np.where(np.abs(shifts - np.rint(shifts)) < 1e-3, np.rint(shifts), shifts)
    for k in range(stack.shape[0]):
        if np.hypot(*shifts[k]) < 1e-3:
            continue
        moved = ndimage.shift(
            stack[k].astype(np.float32), shift=tuple(shifts[k]), order=1, cval=fill
        )
        stack[k] = np.rint(moved).astype(stack.dtype)


def resample_positions(stack: np.ndarray, positions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Linear interpolation along z from irregular `positions` to `targets` (both ascending)."""
    out = np.empty((len(targets), *stack.shape[1:]), dtype=stack.dtype)
    upper = np.clip(np.searchsorted(positions, targets, side="right"), 1, len(positions) - 1)
    for j, (t, hi) in enumerate(zip(targets, upper, strict=True)):
        lo = hi - 1
        w = (t - positions[lo]) / (positions[hi] - positions[lo])
        if w <= 1e-3:
            out[j] = stack[lo]
        elif w >= 1 - 1e-3:
            out[j] = stack[hi]
        else:
            mixed = (1 - w) * stack[lo].astype(np.float32) + w * stack[hi].astype(np.float32)
            out[j] = np.rint(mixed).astype(stack.dtype)
    return out
