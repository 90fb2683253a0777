"""Neck phantoms: cervical vertebrae C2..C7 above T1 (`make_ct_phantom(first="C3")`),
labelled with their VerSe ids outside the T1..L5 label map, and `neck_options(seed)`; and
every phantom without a neck exactly as it was before the neck existed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from vertapp.annotations.store import new_project
from vertapp.ctimport import CaseSpec, import_case_job
from vertapp.io import write_volume
from vertapp.jobs import run_job
from vertapp.labels import VERTEBRA_ID
from vertapp.preprocess import preprocess
from vertapp.synth import CTPhantom, make_ct_phantom, neck_options, realistic_options
from vertapp.synth.anatomy import NECK, make_anatomy

KW = dict(seed=2, first="C3", last="T2", spacing=(1.0, 1.0, 2.0), noise_hu=0.0)


@pytest.fixture(scope="module")
def neck() -> CTPhantom:
    return make_ct_phantom(**KW)


def _lean_deg(frame: np.ndarray) -> float:
    """Forward lean of a vertebra's axis going up (towards -y, anterior), degrees."""
    return float(np.degrees(np.arctan2(-frame[1, 2], frame[2, 2])))


@pytest.mark.parametrize("seed", range(8))
def test_cervical_geometry_is_plausible(seed: int) -> None:
    anatomy = make_anatomy(seed)
    neck = {g.name: g for g in anatomy.neck}
    assert tuple(neck) == NECK
    for name in NECK[2:]:  # C3..C7 (C2's body carries the dens on top, C1 has no body)
        g = neck[name]
        assert 12.0 < g.height < 17.0 and 3.5 < g.disc_below < 7.0
        assert 14.0 < g.width < 26.0 and 13.0 < g.depth < 19.0
        assert 7.0 < g.canal_r < 9.5 and 0 < g.foramen_r < 3.5  # below the canal's Rmin
    t1 = anatomy.vertebrae[0]
    assert all(neck[n].width < t1.width and neck[n].height < t1.height for n in NECK[2:])
    assert neck["C7"].width > neck["C3"].width
    assert neck["C2"].dens_len > 5 and all(neck[n].dens_len == 0 for n in NECK if n != "C2")
    assert [g.bifid for g in neck.values()] == [False] + [True] * 5 + [False]
    assert neck["C7"].spinous_len == max(neck[n].spinous_len for n in NECK[2:])
    # C1's anterior arch in front of the dens, at its height, the dens inside C1's ring
    c1, c2 = neck["C1"], neck["C2"]
    dens_top = c2.center + c2.frame[:, 2] * (c2.height / 2 + c2.dens_len)
    assert c2.center[2] + c2.height / 2 < c1.center[2] < dens_top[2]
    ring_centre = c1.canal_point()
    assert ring_centre[1] - c1.canal_r < c2.center[1] < ring_centre[1]  # dens in the ring
    t = np.deg2rad(8.0)
    dens_mid = c2.to_world([0.0, np.sin(t) * 11.0, c2.height / 2 - 3.0 + np.cos(t) * 11.0])
    assert (dens_mid - c1.center) @ c2.frame[:, 1] > 5.0  # the arch in front of the dens
    # C2..C7 stacked above T1, each body one disc above the next (along the curve)
    below = [*anatomy.neck[2:], t1]
    for g, lower in zip(anatomy.neck[1:], below, strict=True):
        gap = np.linalg.norm(
            (g.center - g.frame[:, 2] * g.height / 2)
            - (lower.center + lower.frame[:, 2] * lower.height / 2)
        )
        assert g.center[2] > lower.center[2] + 10
        assert abs(gap - g.disc_below) < 1.5
    # lordosis: the axis turns back going up, and the mid-neck bulges forwards of the chord
    assert _lean_deg(neck["C2"].frame) < _lean_deg(neck["C7"].frame) - 5
    c2, c5, c7 = neck["C2"].center, neck["C5"].center, neck["C7"].center
    chord_y = c7[1] + (c2[1] - c7[1]) * (c5[2] - c7[2]) / (c2[2] - c7[2])
    assert c5[1] < chord_y - 0.5
    assert 5.0 <= anatomy.neck_lordosis_deg <= 35.0
    # the head sits over the trunk: C2 within -5..30 mm in front of C7
    assert -5.0 < c7[1] - c2[1] < 30.0


def test_neck_phantom_labels_carry_verse_ids(neck: CTPhantom) -> None:
    assert neck.neck == ("C3", "C4", "C5", "C6", "C7") and neck.levels == ("T1", "T2")
    assert neck.cervical_labels is not None
    assert neck.cervical_labels.shape == neck.vertebra_labels.shape
    # C3..C7 painted whole, C2 (above the first level asked for) shows in the margin
    assert set(np.unique(neck.cervical_labels)) == {0, 2, 3, 4, 5, 6, 7}
    assert (neck.cervical_labels[-1] == 2).any()  # the top slice cuts through C2
    assert set(np.unique(neck.vertebra_labels)) == {0, VERTEBRA_ID["T1"], VERTEBRA_ID["T2"]}
    cervical = neck.cervical_labels > 0
    assert not (neck.vertebra_labels[cervical] > 0).any()  # no T1..L5 label on the neck
    assert not (neck.part_labels[cervical] > 0).any()
    assert (neck.volume.array[cervical] > 100).mean() > 0.9  # bone
    t1 = (neck.vertebra_labels == VERTEBRA_ID["T1"]).sum()
    heights = []
    for verse in range(3, 8):
        n = (neck.cervical_labels == verse).sum()
        assert 0.3 * t1 < n < t1  # a whole vertebra, smaller than T1
        k = np.flatnonzero((neck.cervical_labels == verse).any(axis=(1, 2)))
        heights.append(np.median(neck.z_mm[k]))
    assert np.all(np.diff(heights) < 0)  # C3 on top, C7 lowest
    assert heights[-1] > np.median(neck.z_mm[(neck.vertebra_labels == 1).any(axis=(1, 2))])
    verse_ids = neck.verse_labels()
    assert set(np.unique(verse_ids)) == {0, 2, 3, 4, 5, 6, 7, 8, 9}
    assert np.array_equal(verse_ids == 8, neck.vertebra_labels == VERTEBRA_ID["T1"])


def test_neck_has_no_ribs_and_is_narrower_than_the_chest(neck: CTPhantom) -> None:
    anatomy = neck.anatomy
    assert anatomy is not None
    vol = neck.volume
    x = vol.origin[0] + vol.spacing[0] * np.arange(vol.shape[2])
    for g in anatomy.neck[2:5]:  # C3..C5: no bone far lateral to the spine (ribs start at T1)
        k = int(np.argmin(np.abs(neck.z_mm - g.center[2])))
        bone_x = x[np.nonzero(vol.array[k] > 300)[1]]
        assert np.abs(bone_x - g.center[0]).max() < 35.0
    widths = {}
    for name, g in (("C4", anatomy.neck[3]), ("T2", anatomy.vertebrae[1])):
        k = int(np.argmin(np.abs(neck.z_mm - g.center[2])))
        cols = np.nonzero((vol.array[k] > -500).any(axis=0))[0]
        widths[name] = (cols.max() - cols.min()) * vol.spacing[0]
    assert widths["C4"] < 160.0 < widths["T2"]


def test_canal_is_closed_through_each_cervical_arch(neck: CTPhantom) -> None:
    anatomy = neck.anatomy
    assert anatomy is not None
    for g, lower in zip(anatomy.neck[2:], [*anatomy.neck[3:], anatomy.vertebrae[0]], strict=True):
        in_body = np.abs(neck.z_mm - g.center[2]) < g.height / 2
        assert (~np.isnan(neck.canal[in_body, 0])).sum() >= 2, g.name
        disc_z = (g.center[2] - g.height / 2 + lower.center[2] + lower.height / 2) / 2
        k = int(np.argmin(np.abs(neck.z_mm - disc_z)))
        assert np.isnan(neck.canal[k, 0]), g.name  # open at the disc


def test_preprocessing_follows_the_canal_into_the_neck(neck: CTPhantom) -> None:
    res = preprocess(neck.volume)
    assert res.warnings == []
    t1 = neck.anatomy.vertebrae[0] if neck.anatomy else None
    assert t1 is not None
    in_neck = res.track[:, 0] > t1.center[2] + t1.height / 2
    assert res.track[in_neck, 0].max() > neck.anatomy.neck[2].center[2]  # up to C3 at least
    assert res.track_detected[in_neck].mean() > 0.4
    errors = []
    for z, x, y in res.track[in_neck]:
        k = int(np.argmin(np.abs(neck.z_mm - z)))
        errors.append(np.hypot(x - neck.canal_axis[k, 0], y - neck.canal_axis[k, 1]))
    # within the canal (radius ~8 mm) everywhere; at a disc whose upper body tilts forwards
    # the free space of the canal joins that of the disc, and its circle moves ~4 mm
    assert np.median(errors) < 1.0 and np.max(errors) < 5.0


def test_thoracic_part_is_the_same_with_or_without_the_neck(neck: CTPhantom) -> None:
    plain = make_ct_phantom(**{**KW, "first": "T1"})
    assert plain.cervical_labels is None and plain.neck == ()
    off = np.rint(np.subtract(plain.volume.origin, neck.volume.origin) / plain.volume.spacing)
    z0, y0, x0 = off.astype(int)[::-1]
    assert min(z0, y0, x0) >= 0
    nz, ny, nx = plain.volume.shape
    window = neck.vertebra_labels[z0 : z0 + nz, y0 : y0 + ny, x0 : x0 + nx]
    t2 = VERTEBRA_ID["T2"]
    assert np.array_equal(window == t2, plain.vertebra_labels == t2)
    t1 = VERTEBRA_ID["T1"]
    same = (window == t1) & (plain.vertebra_labels == t1)
    assert same.sum() > 0.97 * (plain.vertebra_labels == t1).sum()  # C7's facets take a few


def test_narrow_crop_crops_the_cervical_labels_too() -> None:
    options = neck_options(900)
    assert options["realism"].crop_half_width_mm is not None  # this seed crops
    options.update(last="T4", spacing=(1.5, 1.5, 3.0))
    ph = make_ct_phantom(seed=900, **options)
    assert ph.cervical_labels is not None
    assert ph.cervical_labels.shape == ph.volume.shape == ph.vertebra_labels.shape
    assert {3, 4, 5, 6, 7} <= set(np.unique(ph.cervical_labels))


def test_neck_options_are_deterministic_and_varied() -> None:
    drawn = [neck_options(s) for s in range(900, 940)]
    assert [neck_options(s) for s in range(900, 940)] == drawn
    assert {o["first"] for o in drawn} == {"C2", "C3", "C4"}
    lasts = {int(o["last"][1:]) for o in drawn if o["last"].startswith("T")}
    assert len(lasts) >= 5 and min(lasts) >= 4 and max(lasts) <= 10
    assert all(o["transitional"] is None for o in drawn)
    assert len({o["spacing"] for o in drawn}) == len(drawn)
    assert sum(o["realism"].crop_half_width_mm is not None for o in drawn) >= 10
    assert set(drawn[0]) == set(realistic_options(900))


def test_unknown_first_level_is_refused() -> None:
    with pytest.raises(ValueError, match="C0"):
        make_ct_phantom(seed=0, first="C0", last="T2")
    with pytest.raises(ValueError, match="C5"):
        make_ct_phantom(seed=0, first="T1", last="C5")


# Computed by the code before the neck existed (git HEAD of round 11): phantoms without a
# neck, their anatomy and realistic_options must stay exactly these.
ANATOMY_BEFORE = {
    0: [40.9253, -8.1102, 16.2203, -0.1131, -439.9016, 60.4004, 10.4964, 1.0084],
    1: [41.729, -8.4726, 16.9451, -0.1995, -469.8595, 62.7232, 19.9575, 0.9442],
    5: [41.8255, -8.037, 16.0739, -0.2209, -437.9888, 59.634, 20.5089, 1.0706],
}
PHANTOMS_BEFORE = {
    "s0_T1T3": (
        dict(seed=0, first="T1", last="T3", spacing=(2.0, 2.0, 3.0)),
        (-288698428, 291497868902, [499653, 1251, 1288, 1279], 20),
    ),
    "s3_T1T2_real": (
        dict(seed=3, first="T1", last="T2", spacing=(1.0, 1.0, 2.0), realism=True),
        (-1201447213, 1189051175457, [2204607, 8194, 8111], 23),
    ),
}


@pytest.mark.parametrize("seed", sorted(ANATOMY_BEFORE))
def test_anatomy_without_neck_is_unchanged(seed: int) -> None:
    an = make_anatomy(seed)
    g = an.vertebrae
    got = [
        g[0].center[1],
        g[0].center[2],
        g[0].height,
        g[0].frame[1, 2],
        g[16].center[2],
        an.sacrum[2].center[1],
        an.kyphosis_mm,
        an.trunk_scale,
    ]
    assert np.round(got, 4).tolist() == ANATOMY_BEFORE[seed]


@pytest.mark.parametrize("name", sorted(PHANTOMS_BEFORE))
def test_phantoms_without_neck_render_as_before(name: str) -> None:
    kw, (total, squares, counts, open_slices) = PHANTOMS_BEFORE[name]
    ph = make_ct_phantom(**kw)  # type: ignore[arg-type]
    a = ph.volume.array.astype(np.int64)
    assert ph.cervical_labels is None
    assert int(a.sum()) == total and int((a * a).sum()) == squares
    assert np.bincount(ph.vertebra_labels.ravel()).tolist() == counts
    assert int(np.isnan(ph.canal[:, 0]).sum()) == open_slices


def test_realistic_options_are_unchanged() -> None:
    got = [
        (o["first"], o["last"], round(o["noise_hu"], 4)) for o in map(realistic_options, range(4))
    ]
    assert got == [
        ("L2", "L5", 52.3867),
        ("T8", "L5", 53.5798),
        ("T6", "L1", 34.6983),
        ("T7", "L4", 52.1092),
    ]
    o15 = realistic_options(15)
    assert (o15["first"], o15["last"]) == ("T1", "T4")
    assert o15["spacing"][0] == pytest.approx(0.8973745833073992, abs=1e-12)
    # every draw of the first 400 seeds, summed (HEAD of round 11: the same numbers)
    drawn = [realistic_options(s) for s in range(400)]
    sums = [
        sum(o["noise_hu"] for o in drawn),
        sum(o["realism"].cortex_mm for o in drawn),
        sum(o["scoliosis_mm"] for o in drawn),
        sum(o["psf_mm"] for o in drawn),
    ]
    assert np.round(sums, 6).tolist() == [14378.968255, 199.023774, 1278.611795, 281.437748]
    kinds = [o["transitional"] for o in drawn]
    assert (kinds.count("L6"), kinds.count("T13")) == (22, 9)


def test_a_c2_start_shows_the_dens_inside_c1() -> None:
    ph = make_ct_phantom(seed=5, first="C2", last="T1", spacing=(1.0, 1.0, 1.5), noise_hu=0.0)
    assert ph.neck == ("C2", "C3", "C4", "C5", "C6", "C7") and ph.anatomy is not None
    assert ph.cervical_labels is not None
    assert set(np.unique(ph.cervical_labels)) == {0, 1, 2, 3, 4, 5, 6, 7}
    c1, c2 = ph.anatomy.neck[0], ph.anatomy.neck[1]
    # on the slice through C1's arch: C2's dens (label 2) inside C1's ring (label 1), in
    # front of the canal and behind the anterior arch
    k = int(np.argmin(np.abs(ph.z_mm - c1.center[2])))
    y = ph.volume.origin[1] + ph.volume.spacing[1] * np.arange(ph.volume.shape[1])
    rows_c1 = np.nonzero((ph.cervical_labels[k] == 1).any(axis=1))[0]
    rows_c2 = np.nonzero((ph.cervical_labels[k] == 2).any(axis=1))[0]
    assert len(rows_c2) > 0 and len(rows_c1) > 0
    assert y[rows_c1].min() < y[rows_c2].min() and y[rows_c2].max() < y[rows_c1].max()
    assert y[rows_c2].max() - y[rows_c2].min() < 14.0  # the dens, not C2's body
    assert c2.center[2] + c2.height / 2 < ph.z_mm[k]


def test_import_of_the_verse_map_leaves_the_neck_out(neck: CTPhantom, tmp_path: Path) -> None:
    """The app's import decides about cervical labels (today: outside T1..L5, left out);
    T1 and T2 come in under their own names."""
    ct, labels = tmp_path / "neck_ct.nii.gz", tmp_path / "neck_seg.nii.gz"
    write_volume(neck.volume, ct)
    image = sitk.GetImageFromArray(neck.verse_labels())
    image.SetSpacing(neck.volume.spacing)
    image.SetOrigin(neck.volume.origin)
    sitk.WriteImage(image, str(labels))
    report = run_job(import_case_job(new_project(tmp_path / "project"), CaseSpec(ct, labels)))
    assert report.levels == ["T1", "T2"]
    assert set(report.left_out) == {"outside T1..L5"}
    assert set(report.left_out["outside T1..L5"]) == {"C2", "C3", "C4", "C5", "C6", "C7"}
