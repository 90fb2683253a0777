"""Canal ground truth and tissue HU of `make_ct_phantom`."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from vertapp.labels import VERTEBRAE
from vertapp.synth import make_ct_phantom
from vertapp.synth.ct_phantom import BONE_HU


def _hu_at(ph, xyz):
    k = np.rint(ph.volume.lps_to_index(np.asarray(xyz, dtype=float))).astype(int)
    return float(ph.volume.array[k[0], k[1], k[2]])


def _owner(ph, z):
    """Index of the vertebra whose body centre is nearest in z."""
    cz = np.array([ph.body_centres[n][2] for n in ph.levels])
    return int(np.argmin(np.abs(cz - z)))


def test_canal_closed_through_each_arch_and_open_between(full_phantom):
    ph = full_phantom
    closed = np.isfinite(ph.canal[:, 0])
    z = ph.z_mm
    per_level = np.zeros(len(ph.levels), dtype=int)
    for k in np.flatnonzero(closed):
        i = _owner(ph, z[k])
        if abs(z[k] - ph.body_centres[ph.levels[i]][2]) < ph.anatomy.vertebrae[i].height / 2:
            per_level[i] += 1
    assert per_level.min() >= 2, dict(zip(ph.levels, per_level, strict=True))
    # between the arches of two neighbours (disc level) there is an open slice
    for a, b in zip(ph.levels[:-1], ph.levels[1:], strict=True):
        lo, hi = ph.body_centres[b][2], ph.body_centres[a][2]
        between = (z > lo) & (z < hi)
        assert (~closed[between]).any(), f"canal never open between {a} and {b}"
    # the disc mid-plane itself is open
    for i in range(len(ph.levels) - 1):
        g = ph.anatomy.vertebrae[i]
        disc_z = g.center[2] - g.height / 2 - g.disc_below / 2
        k = int(np.argmin(np.abs(z - disc_z)))
        assert np.isnan(ph.canal[k, 0]), f"canal closed at the disc below {ph.levels[i]}"


def test_canal_radius_matches_the_free_space(clean_phantom):
    """At a recorded centre the largest bone-free circle has the recorded radius."""
    ph = clean_phantom
    sx, sy, _ = ph.volume.spacing
    bone = ph.volume.array >= BONE_HU
    rows = np.flatnonzero(np.isfinite(ph.canal[:, 0]))
    assert len(rows) > 60
    errors = []
    for k in rows[::3]:
        x, y, r = ph.canal[k]
        edt = ndimage.distance_transform_edt(~bone[k], sampling=(sy, sx))
        col = int(round((x - ph.volume.origin[0]) / sx))
        row = int(round((y - ph.volume.origin[1]) / sy))
        errors.append(edt[row, col] - r)
        assert ph.volume.array[k, row, col] < 60  # CSF / cord, not bone
    errors = np.array(errors)
    assert np.abs(np.median(errors)) < 1.0
    assert np.abs(errors).max() < 2.5


def test_canal_radius_thoracic_smaller_than_lumbar(full_phantom):
    ph = full_phantom
    r = {n: ph.anatomy.vertebrae[i].canal_r for i, n in enumerate(VERTEBRAE)}
    assert all(6.0 <= v <= 11.0 for v in r.values())
    assert r["T6"] < r["L3"]


def test_tissue_hu(clean_phantom):
    ph = clean_phantom
    a = ph.volume.array
    assert a[0, 0, 0] <= -990  # air
    body = ph.part_labels == 1
    shell = body & ~ndimage.binary_erosion(body, iterations=1)
    core = ndimage.binary_erosion(body, iterations=3)
    assert np.percentile(a[shell], 90) > 600
    assert 150 <= np.median(a[core]) <= 300
    assert a[ph.vertebra_labels > 0].max() <= 1100
    for i in range(len(ph.levels) - 1):  # discs: soft tissue below the bone window
        g, n = ph.anatomy.vertebrae[i], ph.anatomy.vertebrae[i + 1]
        if g.disc_below >= 6:
            mid = (g.to_world([0, 0, -g.height / 2]) + n.to_world([0, 0, n.height / 2])) / 2
            assert 60 <= _hu_at(ph, mid) < BONE_HU
    ok = np.isfinite(ph.canal[:, 0])
    k = np.flatnonzero(ok)[len(np.flatnonzero(ok)) // 2]
    assert -10 <= _hu_at(ph, [ph.canal[k, 0], ph.canal[k, 1], ph.z_mm[k]]) <= 45
    t6 = ph.body_centres["T6"]
    assert _hu_at(ph, t6 + np.array([75.0, -10.0, 0.0])) < -700  # lung beside the spine
    assert _hu_at(ph, ph.body_centres["L3"] + np.array([0.0, -80.0, 0.0])) > -200  # abdomen


def test_iliac_marrow_makes_three_clusters_of_enclosed_holes():
    """On pelvic slices, bone-enclosed non-bone regions sit at the canal and in each ilium."""
    ph = make_ct_phantom(seed=4, first="L4", last="L5", noise_hu=0.0)
    bone = ph.volume.array >= BONE_HU
    xs = ph.volume.origin[0] + ph.volume.spacing[0] * np.arange(ph.volume.shape[2])
    x5 = ph.body_centres["L5"][0]
    sides = {"left": 0, "right": 0}
    for k in range(bone.shape[0]):
        holes = ndimage.binary_fill_holes(bone[k]) & ~bone[k]
        lab, n = ndimage.label(holes)
        for c in ndimage.center_of_mass(holes, lab, range(1, n + 1)):
            size = (lab == lab[int(c[0]), int(c[1])]).sum() if lab[int(c[0]), int(c[1])] else 0
            if size * 2.25 < 50:  # ignore tiny pockets
                continue
            dx = np.interp(c[1], np.arange(len(xs)), xs) - x5
            if dx > 35:
                sides["left"] += 1
            elif dx < -35:
                sides["right"] += 1
    assert sides["left"] >= 8 and sides["right"] >= 8, sides
    marrow = (ph.vertebra_labels == 0) & (ph.volume.array < BONE_HU) & (ph.volume.array > -50)
    assert marrow.any()
