"""Geometry, labels and determinism of `make_ct_phantom`."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from vertapp.labels import VERTEBRA_ID, VERTEBRAE
from vertapp.synth import make_ct_phantom
from vertapp.synth.ct_phantom import BONE_HU


def _centroid_lps(ph, mask):
    idx = np.array(np.nonzero(mask), dtype=float).mean(axis=1)
    return ph.volume.index_to_lps(idx)


def test_volume_is_lps_with_requested_spacing(full_phantom):
    v = full_phantom.volume
    assert v.array.dtype == np.int16
    assert v.orientation_code == "LPS"
    assert v.modality == "CT"
    assert v.spacing == (1.5, 1.5, 3.0)
    assert full_phantom.vertebra_labels.shape == v.shape == full_phantom.part_labels.shape
    assert full_phantom.vertebra_labels.dtype == np.uint8 == full_phantom.part_labels.dtype
    assert full_phantom.canal.shape == (v.shape[0], 3)


def test_axes_point_superior_and_posterior(full_phantom):
    ph = full_phantom
    t1 = _centroid_lps(ph, ph.vertebra_labels == VERTEBRA_ID["T1"])
    l5 = _centroid_lps(ph, ph.vertebra_labels == VERTEBRA_ID["L5"])
    assert t1[2] - l5[2] > 350  # head at high z, ~40 cm of spine
    body = _centroid_lps(ph, ph.part_labels == 1)
    spinous = _centroid_lps(ph, ph.part_labels == 3)
    assert spinous[1] - body[1] > 30  # spinous processes are posterior (+y)
    # the canal lies between body and spinous process
    ok = np.isfinite(ph.canal[:, 1])
    assert body[1] < np.median(ph.canal[ok, 1]) < spinous[1]


def test_all_levels_and_parts_labelled(full_phantom):
    assert set(np.unique(full_phantom.vertebra_labels)) == set(range(18))
    assert set(np.unique(full_phantom.part_labels)) == {0, 1, 2, 3, 4}
    assert full_phantom.levels == VERTEBRAE
    # labels and parts agree voxel for voxel
    assert np.array_equal(full_phantom.vertebra_labels > 0, full_phantom.part_labels > 0)


@pytest.mark.parametrize(("first", "last"), [("T11", "L2"), ("T3", "T3"), ("L3", "L5")])
def test_partial_field_of_view_has_only_requested_levels(first, last):
    ph = make_ct_phantom(seed=3, first=first, last=last)
    want = set(range(VERTEBRA_ID[first], VERTEBRA_ID[last] + 1))
    assert set(np.unique(ph.vertebra_labels)) - {0} == want
    # the field of view is the requested vertebrae plus a margin, not the whole spine
    zs = np.nonzero(ph.vertebra_labels.any(axis=(1, 2)))[0]
    n_levels = len(want)
    assert ph.volume.shape[0] * ph.volume.spacing[2] < n_levels * 45 + 120
    assert zs.min() > 0 or ph.has_pelvis


def test_partial_view_shows_the_same_anatomy(full_phantom):
    part = make_ct_phantom(seed=0, first="T5", last="T8")
    for name in part.levels:
        assert np.allclose(part.body_centres[name], full_phantom.body_centres[name])
    # both grids share voxel positions, so the body labels coincide exactly
    off = (np.array(part.volume.origin) - np.array(full_phantom.volume.origin)) / 1.5
    off[2] = off[2] * 1.5 / 3.0
    assert np.allclose(off, np.round(off))
    ox, oy, oz = (int(round(o)) for o in off)
    nz, ny, nx = part.volume.shape
    full_crop = full_phantom.vertebra_labels[oz : oz + nz, oy : oy + ny, ox : ox + nx]
    full_bodies = np.where(
        full_phantom.part_labels[oz : oz + nz, oy : oy + ny, ox : ox + nx] == 1, full_crop, 0
    )
    full_bodies[~np.isin(full_bodies, [VERTEBRA_ID[n] for n in part.levels])] = 0
    part_bodies = np.where(part.part_labels == 1, part.vertebra_labels, 0)
    assert np.array_equal(part_bodies, full_bodies)


def test_vertebrae_grow_from_t1_to_l5(clean_phantom):
    ph = clean_phantom
    voxel = float(np.prod(ph.volume.spacing))
    body_vol = np.array(
        [((ph.vertebra_labels == i) & (ph.part_labels == 1)).sum() * voxel for i in range(1, 18)]
    )
    assert np.corrcoef(np.arange(17), body_vol)[0, 1] > 0.95
    assert body_vol[-1] > 3 * body_vol[0]
    # body heights along the spine axis: ~17 mm at T1 to ~28 mm at L5
    heights = [ph.anatomy.vertebrae[i].height for i in range(17)]
    assert 15 < heights[0] < 19 and 25 < heights[-1] < 31


def test_deterministic_per_seed():
    a = make_ct_phantom(seed=5, first="L1", last="L2")
    b = make_ct_phantom(seed=5, first="L1", last="L2")
    c = make_ct_phantom(seed=6, first="L1", last="L2")
    assert np.array_equal(a.volume.array, b.volume.array)
    assert np.array_equal(a.vertebra_labels, b.vertebra_labels)
    assert np.array_equal(a.canal, b.canal, equal_nan=True)
    assert a.volume.origin == b.volume.origin
    assert not np.array_equal(a.body_centres["L1"], c.body_centres["L1"])


def test_any_spacing_is_accepted():
    ph = make_ct_phantom(seed=1, first="L1", last="L1", spacing=(0.8, 1.0, 2.5), pelvis=False)
    assert ph.volume.spacing == (0.8, 1.0, 2.5)
    assert set(np.unique(ph.vertebra_labels)) == {0, VERTEBRA_ID["L1"]}
    assert np.isfinite(ph.canal[:, 0]).sum() >= 3
    with pytest.raises(ValueError):
        make_ct_phantom(spacing=(1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="T13"):
        make_ct_phantom(first="T13")
    with pytest.raises(ValueError, match="after"):
        make_ct_phantom(first="L2", last="L1")


def test_scoliosis_shifts_canal_by_about_the_amplitude(full_phantom):
    amp = 25.0
    bent = make_ct_phantom(seed=0, scoliosis_mm=amp, noise_hu=0.0)
    z = full_phantom.z_mm
    shift = np.interp(z, bent.z_mm, bent.canal_axis[:, 0]) - full_phantom.canal_axis[:, 0]
    assert 0.75 * amp < shift.max() < 1.1 * amp
    # the apex is mid-spine (thoracolumbar), not at the ends
    apex_z = full_phantom.z_mm[np.argmax(shift)]
    assert full_phantom.body_centres["L3"][2] < apex_z < full_phantom.body_centres["T5"][2]
    # and the enclosed-canal record follows the curve
    ok = np.isfinite(bent.canal[:, 0])
    assert np.nanmax(bent.canal[ok, 0]) > np.nanmax(full_phantom.canal[:, 0]) + 0.7 * amp


def test_pelvis_present_iff_lower_lumbar():
    high = make_ct_phantom(seed=2, first="T1", last="T4")
    low = make_ct_phantom(seed=2, first="L3", last="L5")
    forced_off = make_ct_phantom(seed=2, first="L3", last="L5", pelvis=False)
    assert not high.has_pelvis and low.has_pelvis and not forced_off.has_pelvis

    def lateral_unlabelled_bone(ph):
        xs = ph.volume.origin[0] + ph.volume.spacing[0] * np.arange(ph.volume.shape[2])
        far = np.abs(xs - ph.body_centres[ph.levels[-1]][0]) > 45
        bone = (ph.volume.array >= 300) & (ph.vertebra_labels == 0)
        return int(bone[:, :, far].sum())

    assert lateral_unlabelled_bone(low) > 1000
    assert lateral_unlabelled_bone(forced_off) == 0


def test_ribs_only_in_thorax(clean_phantom):
    ph = clean_phantom
    bone = (ph.volume.array >= BONE_HU) & (ph.vertebra_labels == 0)
    xs = ph.volume.origin[0] + ph.volume.spacing[0] * np.arange(ph.volume.shape[2])
    lateral = bone[:, :, np.abs(xs) > 90].sum(axis=(1, 2))
    z = ph.z_mm
    thorax = (z < ph.body_centres["T3"][2]) & (z > ph.body_centres["T10"][2])
    abdomen = (z < ph.body_centres["L1"][2]) & (z > ph.body_centres["L3"][2])
    assert (lateral[thorax] > 0).mean() > 0.8
    assert lateral[abdomen].sum() == 0


def test_label_components_are_compact(clean_phantom):
    """Each vertebra is one connected piece of bone (no stray voxels)."""
    for i in (1, 9, 17):
        _, n = ndimage.label(clean_phantom.vertebra_labels == i, structure=np.ones((3, 3, 3)))
        assert n == 1


def test_forced_pelvis_extends_the_field_of_view_down_to_the_sacrum():
    ph = make_ct_phantom(seed=2, first="T12", last="L2", pelvis=True)
    assert ph.has_pelvis
    assert set(np.unique(ph.vertebra_labels)) - {0} == {12, 13, 14}
    s2 = ph.anatomy.sacrum[1]
    assert ph.z_mm[0] <= s2.center[2]
    # the sacral canal is closed by bone
    below = ph.z_mm < ph.anatomy.sacrum[0].center[2]
    assert np.isfinite(ph.canal[below, 0]).any()


def test_hip_mask_marks_iliac_bone_only_when_pelvis_present() -> None:
    lumbar = make_ct_phantom(seed=2, first="L3", last="L5")
    thoracic = make_ct_phantom(seed=2, first="T3", last="T5")
    assert lumbar.hip_mask is not None and thoracic.hip_mask is not None
    assert lumbar.hip_mask.sum() > 10_000 and thoracic.hip_mask.sum() == 0
    assert not (lumbar.hip_mask & (lumbar.vertebra_labels > 0)).any()
    assert np.median(lumbar.volume.array[lumbar.hip_mask]) > 0  # bone and marrow, not air
    # Both wings: voxels on each side of the midline.
    x = np.nonzero(lumbar.hip_mask)[2] * lumbar.volume.spacing[0] + lumbar.volume.origin[0]
    assert (x < -40).sum() > 1000 and (x > 40).sum() > 1000
