"""Which MIP pixel each CT voxel projects onto: the rays of the sagittal MIP, on the CT grid.

A MIP pixel (row, col) is the left-right line of resampled-grid voxels (k, j, *) with
k = crop.k[1] - 1 - row and j = crop.j[0] + col (`vertapp.preprocess.crop`). Going back, a
voxel of the *original* CT belongs to the ray of the grid voxel nearest to its centre. Only
voxels within `half_width_mm` of the canal track (left-right) count: the footprint says
nothing about how far a ray runs, and the vertebra lies around the canal. This window may be
wider than the MIP's own (the transverse processes reach ~45 mm from the midline, the MIP
keeps +-30 mm): it only says where to look, bone connectivity says what belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from vertapp.errors import InputError
from vertapp.io.volume import Volume
from vertapp.preprocess.result import MipResult

OUTSIDE_MARGIN_MM = 15.0  # bone this far beyond the window is kept: it seeds "not a vertebra"


@dataclass
class Rays:
    """The part of the CT that the MIP covers, and the MIP pixel of each of its voxels."""

    box: tuple[slice, slice, slice]  # (z, y, x) slices of the CT array
    row: np.ndarray  # int16 (bz, by, bx): MIP row, -1 outside the crop or the lateral window
    col: np.ndarray  # int16 (bz, by, bx): MIP column, -1 likewise

    @property
    def inside(self) -> np.ndarray:
        return self.row >= 0

    def lookup(self, image: np.ndarray, fill: int = 0) -> np.ndarray:
        """`image` (MIP-sized) sampled at every voxel of the box; `fill` outside."""
        out = np.full(self.row.shape, fill, dtype=image.dtype)
        m = self.inside
        out[m] = image[self.row[m], self.col[m]]
        return out


def check_matches(volume: Volume, result: MipResult) -> None:
    """Refuse a CT whose grid is not the one the preprocessing ran on."""
    src = result.source
    problems = []
    if list(volume.shape) != [int(s) for s in src["shape_zyx"]]:
        problems.append(f"shape {list(volume.shape)} vs {src['shape_zyx']}")
    if not np.allclose(volume.spacing, src["spacing_xyz"], atol=1e-3):
        problems.append(f"spacing {list(volume.spacing)} vs {src['spacing_xyz']}")
    if not np.allclose(volume.origin, src["origin_lps"], atol=1e-2):
        problems.append(f"origin {[round(v, 2) for v in volume.origin]} vs {src['origin_lps']}")
    if not np.allclose(volume.direction, np.asarray(src["direction"]), atol=1e-4):
        problems.append("direction differs")
    if problems:
        raise InputError(
            "the CT does not match the preprocessing (" + "; ".join(problems) + "): "
            "use the preprocess.json made from this CT, or leave --preprocess out"
        )


def compute_rays(volume: Volume, result: MipResult, half_width_mm: float) -> Rays:
    """The rays of `result`'s MIP on `volume`'s own grid (see module doc)."""
    check_matches(volume, result)
    centre = spine_centre_x(result)
    c, g = result.crop, result.grid
    reach = half_width_mm + OUTSIDE_MARGIN_MM
    x_range = (
        (centre.min() - reach - g.origin[0]) / g.spacing,
        (centre.max() + reach - g.origin[0]) / g.spacing,
    )
    box = _crop_box(volume, result, x_range)
    kf, jf, xf = _grid_coords(volume, result, box)
    k = np.rint(kf).astype(np.int32)
    j = np.rint(jf).astype(np.int32)
    inside = (k >= c.k[0]) & (k < c.k[1]) & (j >= c.j[0]) & (j < c.j[1])
    row_k = np.clip(c.k[1] - 1 - k, 0, len(centre) - 1)
    inside &= np.abs(xf * g.spacing + g.origin[0] - centre[row_k]) <= half_width_mm
    row = np.where(inside, c.k[1] - 1 - k, -1).astype(np.int16)
    col = np.where(inside, j - c.j[0], -1).astype(np.int16)
    return Rays(box, row, col)


def spine_centre_x(result: MipResult, bone_hu: float = 200.0) -> np.ndarray:
    """LPS x (mm) of the spine for each MIP row: the median depth of the row's bright
    pixels (the voxels that won the projection), smoothed along the rows; the canal track
    where a row shows no bone or the depth map is missing. The depth is measured bone,
    the track between canal detections only a straight guess."""
    c, g = result.crop, result.grid
    track = result.track[np.arange(c.k[1] - 1, c.k[0] - 1, -1), 1]
    if result.depth is None or result.depth.shape != result.mip.shape:
        return track
    x = g.origin[0] + g.spacing * result.depth.astype(float)
    bright = result.mip >= bone_hu
    med = np.array(
        [np.median(x[r][bright[r]]) if bright[r].sum() >= 3 else np.nan for r in range(len(x))]
    )
    ok = np.isfinite(med)
    if ok.sum() < 3:
        return track
    med = np.interp(np.arange(len(med)), np.flatnonzero(ok), med[ok])
    window = max(3, int(round(20.0 / g.spacing)) | 1)  # ~ one vertebra: ribs/noise do not sway it
    return ndi.median_filter(med, size=window, mode="nearest")


def _crop_box(
    volume: Volume, result: MipResult, x_range: tuple[float, float]
) -> tuple[slice, slice, slice]:
    """Bounding box, in CT indices, of the crop cuboid over grid x indices `x_range`."""
    c, g = result.crop, result.grid
    ks, js, is_ = (
        (c.k[0] - 0.5, c.k[1] - 0.5),
        (c.j[0] - 0.5, c.j[1] - 0.5),
        (x_range[0] - 0.5, x_range[1] + 0.5),
    )
    corners = np.array([[k, j, i] for k in ks for j in js for i in is_])
    idx = volume.lps_to_index(g.index_to_lps(corners))
    lo = np.clip(np.floor(idx.min(axis=0)).astype(int), 0, None)
    hi = np.minimum(np.ceil(idx.max(axis=0)).astype(int) + 1, volume.shape)
    if np.any(hi <= lo):
        raise InputError("the preprocessing's crop lies outside this CT")
    return (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))


def _grid_coords(
    volume: Volume, result: MipResult, box: tuple[slice, slice, slice]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous resampled-grid indices (k, j, i) of every voxel of the box (broadcast sums)."""
    m = volume.direction @ np.diag(volume.spacing)  # LPS = origin + m @ (x, y, z)
    g = result.grid
    zi, yi, xi = (np.arange(s.start, s.stop, dtype=np.float64) for s in box)
    axes = (xi[None, None, :], yi[None, :, None], zi[:, None, None])
    out = []
    for row in (2, 1, 0):  # grid k from LPS z, j from y, i from x
        acc = volume.origin[row] - g.origin[row]
        total = acc + sum(m[row, a] * axes[a] for a in range(3))
        out.append(np.broadcast_to(total, (len(zi), len(yi), len(xi))) / g.spacing)
    return out[0], out[1], out[2]
