"""Back-projecting the ground-truth MIP masks recovers the phantom's 3D vertebrae."""

from __future__ import annotations

import numpy as np

from vertapp.backproject import AMBIGUOUS, BackProjector, backproject
from vertapp.labels import ID_VERTEBRA

from .conftest import backprojected


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def _labels(case):  # type: ignore[no-untyped-def]
    return backprojected(case)


def test_dice_per_vertebra_at_least_090(case) -> None:  # type: ignore[no-untyped-def]
    bp = _labels(case)
    scores = {
        ID_VERTEBRA[int(v)]: dice(case.labels == v, bp.labels == v)
        for v in np.unique(case.labels)
        if v
    }
    assert len(scores) == 5
    assert min(scores.values()) >= 0.90, f"{case.name}: {scores}"


def test_one_label_per_voxel_and_only_masked_vertebrae(case) -> None:  # type: ignore[no-untyped-def]
    bp = _labels(case)
    assert bp.labels.dtype == np.uint8 and bp.labels.shape == case.volume.shape
    on_mip = {int(v) for v in np.unique(case.footprint) if v and v != AMBIGUOUS}
    assert set(np.unique(bp.labels)) - {0} == on_mip
    assert set(bp.counts) == {ID_VERTEBRA[v] for v in on_mip}
    assert sum(bp.counts.values()) == int((bp.labels > 0).sum())


def test_removing_a_mask_removes_its_vertebra_and_neighbours_stay(case) -> None:  # type: ignore[no-untyped-def]
    """Edits change the 3D labels: L3's mask deleted -> no L3 in 3D, its bone unclaimed
    or left alone, and L2/L4 do not grow into it."""
    if case.name != "PIR":
        return
    bp = _labels(case)
    fp = case.footprint.copy()
    fp[fp == 15] = 0  # L3
    edited = backproject(case.volume, case.result, fp)
    assert not (edited.labels == 15).any()
    l3 = case.labels == 15
    assert (edited.labels[l3] > 0).mean() < 0.05
    for v in (14, 16):
        assert (
            abs(edited.counts[ID_VERTEBRA[v]] - bp.counts[ID_VERTEBRA[v]])
            < 0.05 * bp.counts[ID_VERTEBRA[v]]
        )


def test_overlap_pixels_are_settled_in_3d(pir_case) -> None:  # type: ignore[no-untyped-def]
    """Pixels where L2's and L3's masks overlap (marked ambiguous) still end up with the
    vertebra they belong to in 3D."""
    fp = pir_case.footprint.copy()
    l2, l3 = fp == 14, fp == 15
    border = l2 & np.roll(l3, -3, axis=0) | l3 & np.roll(l2, 3, axis=0)  # 3 px each side
    fp[border] = AMBIGUOUS
    bp = backproject(pir_case.volume, pir_case.result, fp)
    for v in (14, 15):
        assert dice(pir_case.labels == v, bp.labels == v) >= 0.88


def test_slice_preview_matches_the_footprint_fast(pir_case) -> None:  # type: ignore[no-untyped-def]
    projector = BackProjector(pir_case.volume, pir_case.result)
    z = int(np.median(np.nonzero(pir_case.labels == 16)[0]))
    preview = projector.slice_preview(pir_case.footprint, z)
    assert preview.shape == pir_case.volume.shape[1:]
    truth = pir_case.labels[z] == 16
    assert dice(truth, preview == 16) >= 0.85
    assert not projector.slice_preview(pir_case.footprint, pir_case.volume.shape[0] + 5).any()


def test_an_edit_recomputes_only_its_slab_and_matches_a_full_run(pir_case) -> None:  # type: ignore[no-untyped-def]
    projector = BackProjector(pir_case.volume, pir_case.result)
    before = projector.run(pir_case.footprint)
    assert projector.run(pir_case.footprint.copy(), previous=before) is before  # no change
    fp = pir_case.footprint.copy()
    fp[fp == 17] = 0  # L5's mask deleted
    slab, involved = projector._changed_slab(fp, before)
    assert involved == [16, 17, 18]
    assert slab is not None and 0 < slab.stop - slab.start < projector.rays.row.shape[0]
    quick = projector.run(fp, previous=before)
    full = projector.run(fp)
    assert not (quick.labels == 17).any()
    differ = (quick.labels != full.labels).sum()
    assert differ <= 0.002 * (full.labels > 0).sum()
    # far from the edit the earlier result is kept as it was
    l1 = pir_case.labels == 13
    np.testing.assert_array_equal(quick.labels[l1], before.labels[l1])
