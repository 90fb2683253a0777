"""Step 1-2 of the paper: isotropic resampling (SimpleITK, linear) and the HU window.

The resampled grid is axis-aligned in LPS (identity direction) and covers the bounding
box of the input, so oblique or anisotropic inputs all come out on the same kind of grid.
Resampling can run slab by slab (`resample_slabs`): each slab is one SimpleITK call on an
output sub-region, which gives progress/cancel points and lets the caller process slices
while the rest of the volume is still being produced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import SimpleITK as sitk

from vertapp.errors import InputError
from vertapp.io.limits import check_allocation
from vertapp.io.volume import Volume

AIR_HU = -1024
# int16 windowed grid + one int16 slab in flight + canal masks of a slab: ~4 bytes a voxel
GRID_BYTES_PER_VOXEL = 4


@dataclass(frozen=True)
class Grid:
    """An axis-aligned LPS grid: voxel [k, j, i] lies at origin + spacing * (i, j, k)."""

    origin: tuple[float, float, float]  # LPS mm (x, y, z) of voxel [0, 0, 0]
    spacing: float  # mm, isotropic
    shape: tuple[int, int, int]  # (nz, ny, nx)

    def z_mm(self, k: np.ndarray | float) -> np.ndarray:
        return self.origin[2] + self.spacing * np.asarray(k, dtype=float)

    def index_to_lps(self, kji: np.ndarray) -> np.ndarray:
        """(..., 3) indices (k, j, i) -> (..., 3) LPS mm (x, y, z)."""
        idx = np.asarray(kji, dtype=float)[..., ::-1]
        return np.asarray(self.origin) + self.spacing * idx

    def lps_to_index(self, xyz: np.ndarray) -> np.ndarray:
        """(..., 3) LPS mm -> (..., 3) continuous indices (k, j, i)."""
        idx = (np.asarray(xyz, dtype=float) - np.asarray(self.origin)) / self.spacing
        return idx[..., ::-1]

    def to_dict(self) -> dict[str, Any]:
        return {"origin": list(self.origin), "spacing": self.spacing, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Grid:
        return cls(tuple(d["origin"]), float(d["spacing"]), tuple(int(s) for s in d["shape"]))  # type: ignore[arg-type]


def isotropic_grid(volume: Volume, spacing_mm: float) -> Grid:
    """The axis-aligned grid of `spacing_mm` covering the volume's bounding box."""
    nz, ny, nx = volume.shape
    corners = np.array(
        [[k, j, i] for k in (0, nz - 1) for j in (0, ny - 1) for i in (0, nx - 1)], dtype=float
    )
    lps = volume.index_to_lps(corners)
    lo, hi = lps.min(axis=0), lps.max(axis=0)
    extent = (hi - lo) / spacing_mm
    if not np.isfinite(extent).all():
        raise InputError(f"{_name(volume)}: the volume's geometry is not finite (spacing, origin)")
    # Checked in floating point before any int conversion or allocation: a 1000 mm
    # spacing resampled to 1 mm asked for PiB.
    voxels = float(np.prod(np.floor(extent + 1e-6) + 1))
    check_allocation(
        int(min(voxels, 2**62)), GRID_BYTES_PER_VOXEL, f"the {spacing_mm:g} mm grid", _name(volume)
    )
    size = np.floor(extent + 1e-6).astype(int) + 1
    origin = (float(lo[0]), float(lo[1]), float(lo[2]))
    return Grid(origin, float(spacing_mm), (int(size[2]), int(size[1]), int(size[0])))


def _name(volume: Volume) -> str:
    return Path(volume.source).name if volume.source else "volume"


def to_sitk(array: np.ndarray, volume: Volume) -> sitk.Image:
    """A SimpleITK image of `array` (z, y, x) with the geometry of `volume`."""
    img = sitk.GetImageFromArray(np.ascontiguousarray(array))
    img.SetSpacing(volume.spacing)
    img.SetOrigin(volume.origin)
    img.SetDirection(tuple(float(v) for v in np.asarray(volume.direction).ravel()))
    return img


_PIXEL = {
    np.dtype(np.int16): sitk.sitkInt16,
    np.dtype(np.uint8): sitk.sitkUInt8,
    np.dtype(np.uint16): sitk.sitkUInt16,
    np.dtype(np.int32): sitk.sitkInt32,
    np.dtype(np.float32): sitk.sitkFloat32,
}


def resample_region(
    image: sitk.Image,
    grid: Grid,
    start: tuple[int, int, int],
    size: tuple[int, int, int],
    *,
    nearest: bool = False,
    default: float = AIR_HU,
    dtype: np.dtype | type = np.int16,
) -> np.ndarray:
    """Resample `image` onto the sub-block of `grid` starting at index `start` (k, j, i)."""
    k, j, i = start
    origin = grid.index_to_lps(np.array([k, j, i]))
    out = sitk.Resample(
        image,
        [int(size[2]), int(size[1]), int(size[0])],
        sitk.Transform(),
        sitk.sitkNearestNeighbor if nearest else sitk.sitkLinear,
        tuple(float(v) for v in origin),
        (grid.spacing,) * 3,
        (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0),
        float(default),
        _PIXEL[np.dtype(dtype)],
    )
    return sitk.GetArrayFromImage(out)


def resample_slabs(image: sitk.Image, grid: Grid, slab: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first slice index, int16 HU slab) over the whole grid, `slab` slices at a time."""
    nz, ny, nx = grid.shape
    for k0 in range(0, nz, slab):
        n = min(slab, nz - k0)
        yield k0, resample_region(image, grid, (k0, 0, 0), (n, ny, nx))


def resample_isotropic(volume: Volume, spacing_mm: float = 1.0) -> tuple[np.ndarray, Grid]:
    """Whole-volume linear resample in one SimpleITK call (int16 HU) and its grid."""
    grid = isotropic_grid(volume, spacing_mm)
    image = to_sitk(volume.array, volume)
    return resample_region(image, grid, (0, 0, 0), grid.shape), grid


def apply_hu_window(array: np.ndarray, hu_min: float, hu_max: float) -> np.ndarray:
    """Set every voxel outside [hu_min, hu_max] to 0, in place; returns `array`."""
    if array.dtype == np.int16 and array.flags.c_contiguous and array.size:
        # OpenCV's inRange is ~10x faster than numpy's masked assignment on int16
        flat = array.reshape(-1, array.shape[-1])
        keep = cv2.inRange(flat, int(np.ceil(hu_min)), int(np.floor(hu_max)))
        np.multiply(flat, keep.view(bool), out=flat, casting="unsafe")
        return array
    outside = array < hu_min
    outside |= array > hu_max
    array[outside] = 0
    return array
