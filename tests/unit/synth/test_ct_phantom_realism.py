"""Opt-in realism of CT phantoms: thin partial-volumed cortex, degeneration, narrow crops."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.labels import VERTEBRAE
from vertapp.synth import Realism, make_ct_phantom, realistic_options

SMALL = dict(seed=3, first="L1", last="L2", spacing=(1.0, 1.0, 2.0), pelvis=False)


def _lateral_line_max(ph, level: str) -> float:
    """Max HU along the left-right line through a body's centre (what the MIP keeps)."""
    c = ph.body_centres[level]
    v = ph.volume
    k = int(round((c[2] - v.origin[2]) / v.spacing[2]))
    j = int(round((c[1] - v.origin[1]) / v.spacing[1]))
    mask = ph.vertebra_labels[k, j] > 0
    return float(v.array[k, j][mask].max())


@pytest.fixture(scope="module")
def pair():
    legacy = make_ct_phantom(**SMALL, noise_hu=0.0)
    real = make_ct_phantom(**SMALL, noise_hu=0.0, realism=Realism(trabecular_hu=0.0))
    return legacy, real


def test_thin_cortex_is_diluted_by_partial_volume_on_the_mip_line(pair) -> None:
    legacy, real = pair
    for level in ("L1", "L2"):
        # legacy: a whole voxel of ~850 HU cortex (675-712 HU after the PSF); realistic (374-393): a 0.4 mm
        # wall of 1200 HU shares its 1 mm voxel with marrow and soft tissue
        assert _lateral_line_max(legacy, level) > 600
        assert _lateral_line_max(real, level) < 480


def test_realistic_labels_cover_the_same_vertebrae(pair) -> None:
    legacy, real = pair
    for vid in (13, 14):
        a, b = legacy.vertebra_labels == vid, real.vertebra_labels == vid
        dice = 2 * (a & b).sum() / (a.sum() + b.sum())
        assert dice > 0.9, (vid, dice)


def test_osteophytes_add_labelled_bone_in_front_of_the_bodies() -> None:
    plain = make_ct_phantom(**SMALL, noise_hu=0.0, realism=Realism())
    spurs = make_ct_phantom(**SMALL, noise_hu=0.0, realism=Realism(osteophytes=1.0))
    front = spurs.body_centres["L1"][1] - 10.0  # well in front of the body's centre
    y = spurs.volume.origin[1] + spurs.volume.spacing[1] * np.arange(spurs.volume.shape[1])
    ahead = (y < front)[None, :, None]
    assert (spurs.vertebra_labels * ahead > 0).sum() > (
        plain.vertebra_labels * ahead > 0
    ).sum() + 50


def test_narrow_crop_keeps_labels_and_geometry_consistent() -> None:
    r = Realism(crop_half_width_mm=30.0, crop_ap_mm=(10.0, 50.0))
    full = make_ct_phantom(**SMALL, noise_hu=0.0, realism=Realism())
    crop = make_ct_phantom(**SMALL, noise_hu=0.0, realism=r)
    assert crop.volume.shape[2] * crop.volume.spacing[0] <= 62.0
    assert crop.vertebra_labels.shape == crop.volume.shape == crop.part_labels.shape
    # the same voxel in LPS holds the same HU in the crop and in the full field of view
    off = np.rint((np.array(crop.volume.origin) - full.volume.origin) / full.volume.spacing)
    ox, oy, oz = (int(o) for o in off)
    nz, ny, nx = crop.volume.shape
    same = full.volume.array[oz : oz + nz, oy : oy + ny, ox : ox + nx]
    assert np.array_equal(same, crop.volume.array)


def test_realistic_options_are_seeded_and_cover_1_to_5_mm_slices() -> None:
    assert realistic_options(4) == realistic_options(4)
    opts = [realistic_options(s) for s in range(40)]
    dz = {o["spacing"][2] for o in opts}
    assert min(dz) == 1.0 and max(dz) == 5.0
    assert any(o["realism"].crop_half_width_mm for o in opts)
    assert any(o["realism"].osteophytes > 0 for o in opts)
    assert any(o["realism"].sharpen > 0 for o in opts)
    many = [realistic_options(s) for s in range(200)]
    assert 0.4 < np.mean([o["last"] == "L5" for o in many]) < 0.7
    assert 2 <= sum(o["transitional"] == "L6" for o in many) <= 25
    assert all(o["last"] == "L5" for o in many if o["transitional"] == "L6")
    t13 = [o for o in many if o["transitional"] == "T13"]
    assert 1 <= len(t13) <= 15
    order = list(VERTEBRAE)
    for o in t13:  # only where T12 and L1 are drawn
        assert order.index(o["first"]) <= order.index("T12") < order.index(o["last"])


def test_transitional_l6_is_unlabelled_bone_between_l5_and_the_sacrum() -> None:
    plain = make_ct_phantom(seed=2, first="L4", last="L5", noise_hu=0.0)
    six = make_ct_phantom(seed=2, first="L4", last="L5", noise_hu=0.0, transitional="L6")
    assert six.transitional == "L6" and plain.transitional is None
    assert set(np.unique(six.vertebra_labels)) == {0, 16, 17}  # L4, L5 only: L6 unlabelled
    # L5 and L4 are the same voxels with or without an L6 below them
    # (the L6 phantom's field of view reaches lower: same top, more slices at the bottom)
    extra = int(round((plain.volume.origin[2] - six.volume.origin[2]) / plain.volume.spacing[2]))
    assert extra > 0
    assert np.array_equal(plain.vertebra_labels >= 16, six.vertebra_labels[extra:] >= 16)
    # below L5's body centre along the spine: a whole extra body of bone without a label
    v = six.volume
    c = six.body_centres["L5"]
    z = v.origin[2] + v.spacing[2] * np.arange(v.shape[0])
    k = int(np.argmin(np.abs(z - (c[2] - 35.0))))  # ~ one body + disc lower
    j = int(round((c[1] + 5.0 - v.origin[1]) / v.spacing[1]))
    i = int(round((c[0] - v.origin[0]) / v.spacing[0]))
    assert v.array[k, j, i] > 100 and six.vertebra_labels[k, j, i] == 0
    with pytest.raises(ValueError, match="L6"):
        make_ct_phantom(seed=2, first="L1", last="L3", transitional="L6")
    with pytest.raises(ValueError, match="L6"):
        make_ct_phantom(seed=2, first="L4", last="L5", transitional="T13")
