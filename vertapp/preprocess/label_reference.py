"""What vertebra labels say about a preprocessing result: the canal they enclose and how
much of each vertebra the MIP slab holds. Used to measure the canal track and the crop on
labelled real CTs (benchmarks/canal_track_real.py, the preprocessing tests).

The labelled canal: on each axial slice of the resampled grid, the free space that the
union of all vertebra labels encloses (a filled-in hole of the labels), at least
`min_area_mm2` large and centred within `MIDLINE_MM` left/right of the labels on that
slice, and of those the most posterior one. The union, because at tilted slices the ring
around the canal is made of two vertebrae (the pedicles of one, the lamina of the one
below); near the labels' midline, because the articular processes of two neighbours can
wall in a foramen at the side; the most posterior, because manual masks sometimes leave a
hole inside a vertebral body, which always lies in front of the canal. Such a hole can
still be the only one on a slice where the canal's ring is open, so a centre more than
`OUTLIER_MM` from the median of the labelled canal within `WINDOW_MM` above and below is
dropped: the canal is a smooth tube, label holes in a body are isolated slices.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from vertapp.io.volume import Volume
from vertapp.preprocess.crop import Crop
from vertapp.preprocess.resample import Grid, resample_region, to_sitk

MIN_CANAL_AREA_MM2 = 30.0  # the narrowest stenotic canals are ~50 mm2; label gaps are smaller
MIDLINE_MM = 15.0  # the canal's centre is on the vertebra's midline; foramina are >= 20 mm out
WINDOW_MM, OUTLIER_MM = 15.0, 8.0  # the canal moves < 8 mm over 15 mm of height


def labels_on_grid(labels: np.ndarray, volume: Volume, grid: Grid) -> np.ndarray:
    """Labels on the CT's grid resampled (nearest) onto the whole resampled grid, int32."""
    image = to_sitk(labels.astype(np.int32), volume)
    return resample_region(
        image, grid, (0, 0, 0), grid.shape, nearest=True, default=0, dtype=np.int32
    )


def labelled_canal(
    labels: np.ndarray, grid: Grid, min_area_mm2: float = MIN_CANAL_AREA_MM2
) -> np.ndarray:
    """(nz, 2) LPS x, y mm of the labelled canal's centroid per slice; NaN where the labels
    enclose no canal (disc and foramen levels, slices without a vertebra)."""
    out = np.full((labels.shape[0], 2), np.nan)
    min_px = min_area_mm2 / grid.spacing**2
    for k in np.flatnonzero(labels.any(axis=(1, 2))):
        solid = labels[k] > 0
        holes = ndi.binary_fill_holes(solid) & ~solid
        comp, n = ndi.label(holes)
        if n == 0:
            continue
        ids = np.arange(1, n + 1)
        area = ndi.sum_labels(holes, comp, ids)
        rows, cols = np.nonzero(holes)
        yc = np.asarray(ndi.mean(rows.astype(float), comp[holes], ids))
        xc = np.asarray(ndi.mean(cols.astype(float), comp[holes], ids))
        mid = np.nonzero(solid)[1].mean()
        ok = (area >= min_px) & (np.abs(xc - mid) * grid.spacing <= MIDLINE_MM)
        if not ok.any():
            continue
        best = ids[ok][np.argmax(yc[ok])]  # the most posterior (LPS y grows backwards)
        yy, xx = np.nonzero(comp == best)
        out[k] = (
            grid.origin[0] + grid.spacing * xx.mean(),
            grid.origin[1] + grid.spacing * yy.mean(),
        )
    return _drop_outliers(out, grid.spacing)


def _drop_outliers(canal: np.ndarray, spacing: float) -> np.ndarray:
    """NaN where a centre is far from the median of its neighbours along z (module doc)."""
    ks = np.flatnonzero(np.isfinite(canal[:, 0]))
    w = WINDOW_MM / spacing
    out = canal.copy()
    for k in ks:
        near = ks[np.abs(ks - k) <= w]
        med = np.median(canal[near], axis=0)
        if np.hypot(*(canal[k] - med)) > OUTLIER_MM:
            out[k] = np.nan
    return out


def slab_mask(crop: Crop, grid: Grid) -> np.ndarray:
    """bool (nz, ny, nx): the voxels the sagittal MIP projects (crop box and lateral window)."""
    inside = np.zeros(grid.shape, bool)
    for k in range(crop.k[0], crop.k[1]):
        lo, hi = int(crop.x_lo[k - crop.k[0]]), int(crop.x_hi[k - crop.k[0]])
        inside[k, crop.j[0] : crop.j[1], lo:hi] = True
    return inside


def slab_share(labels: np.ndarray, crop: Crop, grid: Grid) -> dict[int, float]:
    """Share of each label's voxels (on the resampled grid) inside the MIP's slab."""
    inside = slab_mask(crop, grid)
    return {int(v): float(inside[labels == v].mean()) for v in np.unique(labels) if v}
