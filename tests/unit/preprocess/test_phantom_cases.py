"""The issue's acceptance numbers on generated phantoms (several seeds and set-ups)."""

from __future__ import annotations

from typing import Any

import numpy as np

from vertapp.preprocess.hips import remove_hip_bones
from vertapp.preprocess.label_projection import project_labels
from vertapp.preprocess.resample import (
    apply_hu_window,
    resample_isotropic,
    resample_region,
    to_sitk,
)


def _slice_of(case: Any) -> np.ndarray:
    """Resampled-grid slice index of every phantom slice."""
    g = case.result.grid
    return np.round((case.phantom.z_mm - g.origin[2]) / g.spacing).astype(int)


def test_canal_found_and_accurate(case: Any) -> None:
    ph, res = case.phantom, case.result
    enclosed = np.flatnonzero(np.isfinite(ph.canal[:, 0]))
    assert enclosed.size >= 10
    ks = _slice_of(case)[enclosed]
    found = res.track_detected[ks]
    assert found.mean() >= 0.90, f"{case.name}: canal found on {found.mean():.1%}"
    errors = []
    for i, k in zip(enclosed[found], ks[found], strict=True):
        circle = res.circles[(res.circle_slice == k) & res.circle_on_track][0]
        errors.append(np.hypot(circle[1] - ph.canal[i, 0], circle[2] - ph.canal[i, 1]))
    assert np.median(errors) <= 2.0, f"{case.name}: median error {np.median(errors):.2f} mm"
    # the bridged track stays near the true axis on every slice between detections
    det = np.flatnonzero(res.track_detected)
    inner = [i for i, k in enumerate(_slice_of(case)) if det[0] <= k <= det[-1]]
    off = np.hypot(*(res.track[_slice_of(case)[inner], 1:3] - ph.canal_axis[inner, :2]).T)
    assert np.median(off) <= 2.0 and np.percentile(off, 95) <= 6.0


def test_spine_cluster_is_the_spine(case: Any) -> None:
    ph, res = case.phantom, case.result
    assert res.spine_cluster >= 0
    zi = np.clip(
        np.round((res.grid.z_mm(res.circle_slice) - ph.z_mm[0]) / ph.volume.spacing[2]).astype(int),
        0,
        len(ph.z_mm) - 1,
    )
    dist = np.hypot(*(res.circles[:, 1:3] - ph.canal_axis[zi, :2]).T)  # to the true canal
    assert np.median(dist[res.circles[:, 4] == res.spine_cluster]) < 5.0
    assert np.median(dist[res.circle_on_track]) < 2.0
    if ph.has_pelvis:
        # the paper's set-up: right hip, spine, left hip; the spine is the middle cluster
        assert res.spine_cluster == 1
        for c in (0, 2):
            assert np.median(dist[res.circles[:, 4] == c]) > 30


def test_projected_labels_inside_crop(case: Any) -> None:
    ph, res = case.phantom, case.result
    v = ph.volume
    kk, jj = np.nonzero(ph.vertebra_labels.any(axis=2))  # (z, y) pixels of the projection
    z = v.origin[2] + v.spacing[2] * kk
    y = v.origin[1] + v.spacing[1] * jj
    box, h = res.crop_box_lps, res.grid.spacing / 2
    inside = (z >= box["min"][2] - h) & (z <= box["max"][2] + h)
    inside &= (y >= box["min"][1] - h) & (y <= box["max"][1] + h)
    assert inside.mean() >= 0.99, f"{case.name}: {inside.mean():.2%} inside the crop"


def _windowed_after_hip_removal(case: Any) -> tuple[np.ndarray, np.ndarray]:
    """The resampled, windowed volume before and after the pipeline's hip-bone removal."""
    res = case.result
    before, _ = resample_isotropic(case.phantom.volume, res.grid.spacing)
    apply_hu_window(before, res.params.hu_min, res.params.hu_max)
    after = before.copy()
    removed = remove_hip_bones(
        after,
        res.grid,
        res.crop,
        res.circles,
        res.circle_slice,
        res.circle_capped,
        res.circle_on_track,
        res.track[:, 1],
    )
    assert removed == res.hip_voxels_removed
    return before, after


def _on_grid(labels: np.ndarray, case: Any, dtype: type = bool) -> np.ndarray:
    """Nearest-neighbour copy of a phantom-grid array on the resampled grid."""
    g = case.result.grid
    img = to_sitk(labels.astype(np.uint8), case.phantom.volume)
    out = resample_region(img, g, (0, 0, 0), g.shape, nearest=True, default=0, dtype=np.uint8)
    return out > 0 if dtype is bool else out


def test_no_hip_bone_projects_onto_a_vertebra(case: Any, hips_of: Any) -> None:
    ph, res = case.phantom, case.result
    hips = hips_of(ph)
    if not ph.has_pelvis:
        assert not hips.any()
        return
    assert hips.sum() > 1000
    gt = project_labels(ph.vertebra_labels, ph.volume, res)
    before, after = _windowed_after_hip_removal(case)
    c = res.crop
    i = np.arange(res.grid.shape[2])
    slab = (i[None, :] >= c.x_lo[:, None]) & (i[None, :] < c.x_hi[:, None])  # (k, i)
    hip_bone = _on_grid(hips, case) & (after > 0)
    hip_bone = hip_bone[c.k[0] : c.k[1], c.j[0] : c.j[1]] & slab[:, None, :]
    onto = hip_bone.any(axis=2)[::-1] & (gt > 0)
    assert onto.sum() == 0, f"{case.name}: hip bone projects onto {onto.sum()} vertebra pixels"
    # the cut takes nothing from bodies and spinous processes, at most a few voxels of
    # articular processes and the tips of transverse processes resting on an iliac crest
    part = _on_grid(ph.part_labels, case, dtype=np.uint8)
    vert = (part > 0) & (before > 0)
    lost = vert & (after == 0)
    assert not (lost & ((part == 1) | (part == 3))).any(), f"{case.name}: body/spinous cut"
    arch = vert & (part == 2)
    # 0.15 %: seed 4 loses 119 of 103,050 articular-process voxels since the canal search
    # vetoes noise spikes (95 before: its hip circles lost their speckle and grew a little)
    assert (lost & arch).sum() <= 0.0015 * arch.sum(), f"{case.name}: arch voxels cut"
    assert lost.sum() <= 0.02 * vert.sum(), f"{case.name}: {lost.sum()} vertebra voxels cut"


def test_label_projection_on_mip(case: Any) -> None:
    ph, res = case.phantom, case.result
    gt = project_labels(ph.vertebra_labels, ph.volume, res)
    assert gt.shape == res.mip.shape and gt.dtype == np.uint8
    from vertapp.labels import VERTEBRA_ID

    expected = {VERTEBRA_ID[n] for n in ph.levels}
    assert set(np.unique(gt[gt > 0]).tolist()) == expected
    # labelled pixels are bone on the MIP (the projection is of the same voxels)
    assert (res.mip[gt > 0] > 0).mean() > 0.95
    # vertebrae appear head to foot in label order (row centroid increases with the id)
    rows = [np.mean(np.nonzero(gt == lab)[0]) for lab in sorted(expected)]
    assert np.all(np.diff(rows) > 0)
