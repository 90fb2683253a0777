"""The whole preprocessing (paper steps 1-6) as one cancellable job.

One pass over the volume, slab by slab: resample the slab (SimpleITK, linear), find the
canal circles on its axial slices (raw HU), then apply the HU window in place. After the
pass: k-means + spine track, crop, sagittal MIP. The job yields a `Progress` after every
slab, so closing the generator cancels it within one slab.
"""

from __future__ import annotations

import numpy as np

from vertapp.io.volume import Volume
from vertapp.jobs import Job, Progress, run_job
from vertapp.preprocess import canal
from vertapp.preprocess.coverage import coverage_warning, extent_warning
from vertapp.preprocess.crop import compute_crop, sagittal_mip, to_display
from vertapp.preprocess.hips import remove_hip_bones
from vertapp.preprocess.params import PreprocessParams
from vertapp.preprocess.resample import (
    Grid,
    apply_hu_window,
    isotropic_grid,
    resample_slabs,
    to_sitk,
)
from vertapp.preprocess.result import MipResult, source_geometry
from vertapp.preprocess.track import fit_track

SCAN_END = 0.85  # share of the progress bar taken by the slab pass


def _circle_table(per_slice: list[np.ndarray], grid: Grid) -> np.ndarray:
    """(N, 6) slice, z_mm, x_mm, y_mm, r_mm, capped from per-slice pixel circles."""
    rows = [np.column_stack([np.full(len(c), k), c]) for k, c in enumerate(per_slice) if len(c)]
    if not rows:
        return np.zeros((0, 6))
    t = np.vstack(rows)
    s, (ox, oy, _) = grid.spacing, grid.origin
    return np.column_stack(
        [t[:, 0], grid.z_mm(t[:, 0]), ox + s * t[:, 1], oy + s * t[:, 2], s * t[:, 3], t[:, 4]]
    )


def _scan(volume: Volume, grid: Grid, p: PreprocessParams, out: dict) -> Job[None]:
    """Resample + canal detection + HU window, slab by slab, into `out`."""
    image = to_sitk(volume.array, volume)
    nz = grid.shape[0]
    windowed = np.empty(grid.shape, np.int16)
    coronal = np.zeros((nz, grid.shape[2]), np.int16)
    body_mid = np.full(nz, np.nan)
    per_slice: list[np.ndarray] = []
    for k0, slab in resample_slabs(image, grid, p.slab_slices):
        n = len(slab)
        per_slice += canal.detect_slab(
            slab,
            grid.spacing,
            p.hu_min,
            p.rmin_mm,
            p.rmax_mm,
            p.close_mm,
            p.max_circles_per_slice,
            smooth_mm=p.smooth_mm,
        )
        body_mid[k0 : k0 + n] = grid.origin[0] + grid.spacing * canal.body_midline_x(slab)
        windowed[k0 : k0 + n] = apply_hu_window(slab, p.hu_min, p.hu_max)
        coronal[k0 : k0 + n] = windowed[k0 : k0 + n].max(axis=1)
        yield Progress(
            "canal",
            SCAN_END * (k0 + n) / nz,
            f"slices {k0 + n}/{nz}",
            {"slices_done": k0 + n, "slices": nz, "circles": sum(map(len, per_slice))},
        )
    out.update(windowed=windowed, coronal=coronal, body_mid=body_mid, per_slice=per_slice)


def _axial_preview_slice(detected: np.ndarray, circle_slice: np.ndarray) -> int:
    """A slice on the track showing the most circles (hip circles when there are some)."""
    det = np.flatnonzero(detected)
    if det.size == 0:
        return len(detected) // 2
    counts = np.bincount(circle_slice, minlength=len(detected))[det]
    mid = np.median(det)
    return int(det[np.lexsort((np.abs(det - mid), -counts))[0]])


def preprocess_job(volume: Volume, params: PreprocessParams | None = None) -> Job[MipResult]:
    """Volume -> MipResult, yielding Progress per stage and per slab of slices."""
    p = params or PreprocessParams()
    yield Progress("resample", 0.0, "resampling to isotropic grid")
    grid = isotropic_grid(volume, p.spacing_mm)
    scan: dict = {}
    yield from _scan(volume, grid, p, scan)
    windowed = scan["windowed"]
    circles = _circle_table(scan["per_slice"], grid)
    yield Progress("cluster", 0.88, f"k-means on {len(circles)} circles")
    nz = grid.shape[0]
    tr = fit_track(circles, scan["body_mid"], nz, p)
    warnings: list[str] = []
    track_xy = tr.track_xy
    if tr.spine_cluster < 0:
        warnings.append("no spinal canal found: the crop is centred on the body")
        cx = np.nanmedian(scan["body_mid"]) if np.isfinite(scan["body_mid"]).any() else 0.0
        cy = grid.origin[1] + grid.spacing * (grid.shape[1] - 1) / 2
        track_xy = np.tile([cx, cy], (nz, 1))
    else:
        bone = (scan["coronal"] > 0).any(axis=1)  # slices with a voxel in the bone window
        for w in (
            extent_warning(tr.detected, bone, grid.spacing),
            coverage_warning(tr.detected, grid.spacing),
        ):
            warnings += [w] if w else []
    k_preview = _axial_preview_slice(tr.detected, circles[:, 0].astype(int))
    previews = {
        "coronal": scan["coronal"],
        "axial": windowed[k_preview].copy(),
        "axial_slice": k_preview,
    }
    yield Progress("crop", 0.91, "crop and hip bones")
    crop = compute_crop(track_xy, tr.detected, grid, p)
    removed = (
        remove_hip_bones(
            windowed,
            grid,
            crop,
            circles[:, 1:5],
            circles[:, 0].astype(int),
            circles[:, 5] > 0,
            tr.on_track,
            track_xy[:, 0],
        )
        if len(circles)
        else 0
    )
    yield Progress("mip", 0.96, "sagittal MIP")
    mip, depth = sagittal_mip(windowed, crop)
    res = MipResult(
        mip=mip,
        mip_u8=to_display(mip, p.hu_max),
        circles=np.column_stack([circles[:, 1:5], tr.cluster])
        if len(circles)
        else np.zeros((0, 5)),
        circle_slice=circles[:, 0].astype(int),
        circle_capped=circles[:, 5] > 0,
        circle_on_track=tr.on_track,
        spine_cluster=tr.spine_cluster,
        cluster_scores=tr.scores,
        track=np.column_stack([grid.z_mm(np.arange(nz)), track_xy]),
        track_detected=tr.detected,
        crop=crop,
        grid=grid,
        params=p,
        source=source_geometry(volume),
        depth=depth,
        warnings=warnings,
        hip_voxels_removed=removed,
        previews=previews,
    )
    yield Progress("done", 1.0, f"MIP {mip.shape[0]}x{mip.shape[1]}")
    return res


def preprocess(volume: Volume, params: PreprocessParams | None = None) -> MipResult:
    """Blocking version of `preprocess_job`."""
    return run_job(preprocess_job(volume, params))
