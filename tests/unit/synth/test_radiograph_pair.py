"""Lateral radiograph pairs: geometry, masks and the known per-vertebra motion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from vertapp.labels import PARTS
from vertapp.synth import RadiographPair, make_radiograph_pair


@pytest.fixture(scope="module")
def pair() -> RadiographPair:
    return make_radiograph_pair(
        seed=1,
        first="L1",
        last="L3",
        pixel_mm=1.5,
        pelvis=False,
        motions={"L2": (2.0, -3.0, 3.0, 1.02)},
    )


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_images_and_masks_have_one_geometry(pair):
    assert pair.high.shape == pair.low.shape
    assert pair.high.pixel_spacing == pair.low.pixel_spacing == (1.5, 1.5)
    assert pair.high.array.dtype == np.float32
    assert pair.levels == ("L1", "L2", "L3")
    for parts in (pair.high_parts, pair.low_parts):
        assert {(p.level, p.part) for p in parts} == {
            (lv, pt) for lv in pair.levels for pt in PARTS
        }
        assert all(p.mask.shape == pair.high.shape and p.mask.dtype == bool for p in parts)
    # head up: L1 above L3; anterior left: the body left of the spinous process
    rows = {lv: np.nonzero(m)[0].mean() for lv, m in pair.high_vertebrae.items()}
    assert rows["L1"] < rows["L2"] < rows["L3"]
    body = next(p.mask for p in pair.high_parts if p.level == "L2" and p.part == "body")
    spin = next(p.mask for p in pair.high_parts if p.level == "L2" and p.part == "spinous_process")
    assert np.nonzero(body)[1].mean() < np.nonzero(spin)[1].mean()


def test_bone_is_bright(pair):
    img = pair.high.array
    body = pair.high_vertebrae["L2"]
    ring = ndimage.binary_dilation(body, iterations=6) & ~ndimage.binary_dilation(
        body, iterations=3
    )
    assert img[body].mean() > img[ring & ~np.any(list(pair.high_vertebrae.values()), axis=0)].mean()


def test_requested_motion_is_reported_and_applied(pair):
    m = pair.motions["L2"]
    assert (m.dx_mm, m.dy_mm, m.angle_deg, m.scale) == (2.0, -3.0, 3.0, 1.02)
    expected = cv2.getRotationMatrix2D(m.center_px, 3.0, 1.02)
    expected[:, 2] += np.array([2.0, -3.0]) / 1.5
    assert np.allclose(m.matrix, expected)
    for level in pair.levels:
        mot = pair.motions[level]
        high, low = pair.high_vertebrae[level], pair.low_vertebrae[level]
        h, w = high.shape
        warped = (
            cv2.warpAffine(high.astype(np.uint8), mot.matrix, (w, h), flags=cv2.INTER_NEAREST) > 0
        )
        assert _iou(warped, low) > 0.9
        rows, cols = np.nonzero(high)
        c_high = np.array([cols.mean(), rows.mean(), 1.0])
        rows, cols = np.nonzero(low)
        assert np.allclose(mot.matrix @ c_high, [cols.mean(), rows.mean()], atol=1.0)
        assert abs(mot.dx_mm) <= 3 and abs(mot.dy_mm) <= 3 and abs(mot.angle_deg) <= 4


def test_low_dose_has_lower_contrast_to_noise_and_image_content_moves(pair):
    def cnr(img, vert):
        near = ndimage.binary_dilation(vert, iterations=8) & ~ndimage.binary_dilation(
            vert, iterations=3
        )
        near &= ~np.any(
            list(pair.high_vertebrae.values()) + list(pair.low_vertebrae.values()), axis=0
        )
        noise = 1.4826 * np.median(np.abs(img - ndimage.gaussian_filter(img, 2.0)))
        return (img[vert].mean() - img[near].mean()) / noise

    def body(parts, level):
        return next(p.mask for p in parts if p.level == level and p.part == "body")

    for level in pair.levels:
        high_cnr = cnr(pair.high.array, body(pair.high_parts, level))
        low_cnr = cnr(pair.low.array, body(pair.low_parts, level))
        assert low_cnr > 0.5  # still visible
        assert high_cnr > 2 * low_cnr, (level, high_cnr, low_cnr)
    # the L2 pixels of the high image reappear, moved, in the low image
    mot = pair.motions["L2"]
    h, w = pair.high.shape
    moved = cv2.warpAffine(pair.high.array, mot.matrix, (w, h))
    mask = pair.low_vertebrae["L2"]
    smooth_low = ndimage.gaussian_filter(pair.low.array, 1.5)
    smooth_moved = ndimage.gaussian_filter(moved, 1.5)
    smooth_high = ndimage.gaussian_filter(pair.high.array, 1.5)
    r_moved = np.corrcoef(smooth_low[mask], smooth_moved[mask])[0, 1]
    r_still = np.corrcoef(smooth_low[mask], smooth_high[mask])[0, 1]
    assert r_moved > r_still


def test_torsion_changes_the_projected_shape():
    pair = make_radiograph_pair(
        seed=2, first="L1", last="L3", pixel_mm=1.5, pelvis=False, torsion="L2"
    )
    assert pair.torsion == "L2"
    ious = {}
    for level in pair.levels:
        mot = pair.motions[level]
        high, low = pair.high_vertebrae[level], pair.low_vertebrae[level]
        h, w = high.shape
        warped = (
            cv2.warpAffine(high.astype(np.uint8), mot.matrix, (w, h), flags=cv2.INTER_NEAREST) > 0
        )
        ious[level] = _iou(warped, low)
    assert ious["L2"] < min(ious["L1"], ious["L3"]) - 0.05, ious
    with pytest.raises(ValueError):
        make_radiograph_pair(first="L1", last="L2", torsion="T5")
