"""Vertebra labels on the MIP grid: ground-truth masks for training on labelled CTs.

The label volume is resampled (nearest neighbour) onto exactly the resampled grid points of
the crop, limited to the same per-slice lateral window as the MIP. Each MIP pixel takes
the label of the voxel that won the maximum-intensity projection; where that voxel is
unlabelled (e.g. marrow darker than the window, or a rib in front) it falls back to the
label most frequent along its ray. Small holes inside a label are filled.

The winning voxel comes from `result.depth` (saved as mip_depth.npy), which reflects the
pipeline's hip-bone cut. Only when a result was loaded without it is the projection
recomputed from `source_volume`, and then without the hip cut.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from vertapp.errors import InputError
from vertapp.io.volume import Volume
from vertapp.preprocess.crop import Crop, sagittal_mip
from vertapp.preprocess.resample import (
    apply_hu_window,
    resample_region,
    to_sitk,
)
from vertapp.preprocess.result import MipResult


def _crop_block(volume: Volume, array: np.ndarray, result: MipResult, nearest: bool) -> np.ndarray:
    """The crop cuboid of the resampled grid, as (k, j, i), for `array` in `volume`'s geometry."""
    c = result.crop
    image = to_sitk(array, volume)
    if nearest:
        return resample_region(
            image,
            result.grid,
            (c.k[0], c.j[0], c.i[0]),
            c.shape,
            nearest=True,
            default=0,
            dtype=np.int32,
        )
    return resample_region(image, result.grid, (c.k[0], c.j[0], c.i[0]), c.shape)


def _lateral_mask(result: MipResult) -> np.ndarray:
    """(k, i) bool: inside the per-slice lateral window of the MIP."""
    c = result.crop
    i = np.arange(c.i[0], c.i[1])
    return (i[None, :] >= c.x_lo[:, None]) & (i[None, :] < c.x_hi[:, None])


def _depth(source: Volume, result: MipResult) -> np.ndarray:
    if result.depth is not None:
        return result.depth
    block = apply_hu_window(
        _crop_block(source, source.array, result, False), result.params.hu_min, result.params.hu_max
    )
    full = np.zeros((result.crop.k[1],) + block.shape[1:], np.int16)
    full[result.crop.k[0] :] = block
    # sagittal_mip expects grid-indexed arrays; shift the j/i ranges to the block's frame
    c = result.crop
    local = Crop(
        (c.k[0], c.k[1]),
        (0, c.j[1] - c.j[0]),
        (0, c.i[1] - c.i[0]),
        c.x_lo - c.i[0],
        c.x_hi - c.i[0],
    )
    _, depth = sagittal_mip(full, local)
    return depth + c.i[0]


def fill_small_holes(labels: np.ndarray, max_hole_px: int) -> np.ndarray:
    """Fill background holes of at most `max_hole_px` pixels enclosed by one label."""
    out = labels.copy()
    for lab in np.unique(labels[labels > 0]):
        mask = labels == lab
        holes = ndi.binary_fill_holes(mask) & ~mask & (out == 0)
        comp, n = ndi.label(holes)
        if n == 0:
            continue
        sizes = np.bincount(comp.ravel())
        small = np.flatnonzero(sizes <= max_hole_px)
        out[np.isin(comp, small[small > 0])] = lab
    return out


def project_labels(
    label_volume: Volume | np.ndarray,
    source_volume: Volume,
    result: MipResult,
    max_hole_px: int = 50,
) -> np.ndarray:
    """uint8 label image on the MIP grid (rows, cols), 0 = background.

    `label_volume`: integer labels (e.g. 1..17 = T1..L5) on the grid of `source_volume`,
    either as a Volume or as a bare (z, y, x) array."""
    arr = label_volume.array if isinstance(label_volume, Volume) else np.asarray(label_volume)
    if arr.shape != source_volume.shape:
        raise InputError(
            f"label volume shape {arr.shape} does not match the CT's {source_volume.shape}"
        )
    if arr.max(initial=0) > 255 or arr.min(initial=0) < 0:
        raise InputError("label volume values must lie in 0..255")
    geom = label_volume if isinstance(label_volume, Volume) else source_volume
    block = _crop_block(geom, arr.astype(np.int32), result, nearest=True)  # (k, j, i)
    block *= _lateral_mask(result)[:, None, :]
    block = block[::-1]  # rows: head up
    depth = _depth(source_volume, result) - result.crop.i[0]
    winner = np.take_along_axis(block, depth[:, :, None].astype(np.intp), axis=2)[:, :, 0]
    labs = np.unique(block[block > 0])
    if labs.size:
        counts = np.stack([(block == lab).sum(axis=2) for lab in labs])  # (L, rows, cols)
        fallback = np.where(counts.max(axis=0) > 0, labs[counts.argmax(axis=0)], 0)
        winner = np.where(winner > 0, winner, fallback)
    return fill_small_holes(winner.astype(np.uint8), max_hole_px)
