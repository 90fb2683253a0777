"""Steps 5-6 of the paper: the cuboid around the spine and its sagittal MIP.

The cuboid spans the canal track's z range (plus `margin_z_mm` so the end vertebrae are
whole), `anterior_mm` in front of and `posterior_mm` behind the track, and the track's
left-right range +- `half_width_mm`. Inside the cuboid each axial slice is further limited
to +- `half_width_mm` around *its own* track point: for a straight spine this is the
cuboid itself, with scoliosis it keeps a hip bone that lies inside the (wider) cuboid
at L5 level out of the projection.

MIP layout (DESIGN): rows = z, head up (row 0 = most superior slice of the crop);
columns = y, anterior left (column 0 = most anterior). The affine maps (row, col, 1) to LPS
mm; the depth (x) of a MIP pixel is not defined by the projection, the affine puts it at the
cuboid's centre and `MipResult.mip_to_lps` uses the canal track (or the winning voxel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vertapp.preprocess.params import PreprocessParams
from vertapp.preprocess.resample import Grid


@dataclass(frozen=True)
class Crop:
    k: tuple[int, int]  # slice range [k0, k1) on the resampled grid
    j: tuple[int, int]  # y (posterior) range
    i: tuple[int, int]  # x (left) range of the cuboid
    x_lo: np.ndarray  # (k1 - k0,) per-slice lateral window [x_lo, x_hi) inside i
    x_hi: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": list(self.k),
            "j": list(self.j),
            "i": list(self.i),
            "x_lo": self.x_lo.tolist(),
            "x_hi": self.x_hi.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Crop:
        return cls(
            (int(d["k"][0]), int(d["k"][1])),
            (int(d["j"][0]), int(d["j"][1])),
            (int(d["i"][0]), int(d["i"][1])),
            np.asarray(d["x_lo"], dtype=int),
            np.asarray(d["x_hi"], dtype=int),
        )

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.k[1] - self.k[0], self.j[1] - self.j[0], self.i[1] - self.i[0])


def compute_crop(
    track_xy: np.ndarray, detected: np.ndarray, grid: Grid, p: PreprocessParams
) -> Crop:
    nz, ny, nx = grid.shape
    s = grid.spacing
    ks = np.flatnonzero(detected)
    if ks.size:
        m = int(round(p.margin_z_mm / s))
        k0, k1 = max(int(ks[0]) - m, 0), min(int(ks[-1]) + m + 1, nz)
    else:
        k0, k1 = 0, nz
    ix = (track_xy[k0:k1, 0] - grid.origin[0]) / s
    hw = p.half_width_mm / s
    x_lo = np.clip(np.floor(ix - hw), 0, nx - 1).astype(int)
    x_hi = np.clip(np.ceil(ix + hw) + 1, 1, nx).astype(int)
    jy = (track_xy[k0:k1, 1] - grid.origin[1]) / s
    j0 = int(np.clip(np.floor(jy.min() - p.anterior_mm / s), 0, ny - 1))
    j1 = int(np.clip(np.ceil(jy.max() + p.posterior_mm / s) + 1, j0 + 1, ny))
    return Crop((k0, k1), (j0, j1), (int(x_lo.min()), int(x_hi.max())), x_lo, x_hi)


def crop_box_lps(crop: Crop, grid: Grid) -> dict[str, list[float]]:
    """Centres of the first and last voxel of the cuboid, LPS mm (x, y, z)."""
    lo = grid.index_to_lps(np.array([crop.k[0], crop.j[0], crop.i[0]]))
    hi = grid.index_to_lps(np.array([crop.k[1] - 1, crop.j[1] - 1, crop.i[1] - 1]))
    return {"min": [float(v) for v in lo], "max": [float(v) for v in hi]}


def mip_affine(crop: Crop, grid: Grid) -> np.ndarray:
    """3x3 matrix: (row, col, 1) -> LPS (x, y, z) mm; x is the cuboid's centre."""
    s = grid.spacing
    ox, oy, oz = grid.origin
    xc = ox + s * (crop.i[0] + crop.i[1] - 1) / 2.0
    return np.array(
        [[0.0, 0.0, xc], [0.0, s, oy + s * crop.j[0]], [-s, 0.0, oz + s * (crop.k[1] - 1)]]
    )


def sagittal_mip(windowed: np.ndarray, crop: Crop) -> tuple[np.ndarray, np.ndarray]:
    """(mip float32, depth int16 grid x index of the winning voxel), head up, anterior left."""
    (k0, k1), (j0, j1) = crop.k, crop.j
    mip = np.zeros((k1 - k0, j1 - j0), np.float32)
    depth = np.zeros((k1 - k0, j1 - j0), np.int16)
    for r, k in enumerate(range(k1 - 1, k0 - 1, -1)):
        lo, hi = int(crop.x_lo[k - k0]), int(crop.x_hi[k - k0])
        block = windowed[k, j0:j1, lo:hi]
        arg = block.argmax(axis=1)
        mip[r] = np.take_along_axis(block, arg[:, None], axis=1)[:, 0]
        depth[r] = arg + lo
    return mip, depth


def to_display(mip: np.ndarray, hu_max: float) -> np.ndarray:
    """uint8 display: 0 HU (outside the window) -> 0, hu_max -> 255, linear."""
    return np.clip(mip * (255.0 / hu_max), 0, 255).round().astype(np.uint8)
