"""Which chain is the spine, on synthetic circle sets: length along z and continuity beat
the distance to the body's midline, hip-bone marrow comes in left-right pairs, and a tube
behind the track's constant end (a tilted patient's sacrum) does not take the track."""

from __future__ import annotations

import numpy as np

from vertapp.preprocess.coverage import extent_warning
from vertapp.preprocess.params import PreprocessParams
from vertapp.preprocess.track import fit_track

P = PreprocessParams()


def _circles(k: np.ndarray, x, y, r: float = 7.0) -> np.ndarray:  # type: ignore[no-untyped-def]
    k = np.asarray(k, float)
    n = len(k)
    return np.column_stack(
        [k, k, np.broadcast_to(x, n), np.broadcast_to(y, n), np.full(n, r), np.zeros(n)]
    )


def _spine(k0: int, k1: int, x_of_k, y_of_k, every: int = 25, seen: int = 8) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Canal circles on `seen` slices out of every `every` (pedicle levels)."""
    k = np.array([i for i in range(k0, k1) if (i - k0) % every < seen])
    return _circles(k, x_of_k(k), y_of_k(k))


def test_a_long_spine_off_the_body_midline_beats_a_hip_on_it() -> None:
    """Patient 100 mm off-centre, one side cut off by the field of view: the body's centre of
    mass now lies on the remaining hip bone, 60 mm from the canal. The spine, seen over
    300 mm, wins over the hip's dense but 90 mm short chain (before: 29.5 against 84.7,
    the crop on the iliac wing)."""
    nz = 300
    spine = _spine(0, nz, lambda k: np.full(len(k), -100.0), lambda k: np.full(len(k), 50.0))
    hip = _circles(np.arange(0, 90), -30.0, 55.0, r=10)
    res = fit_track(np.vstack([spine, hip]), np.full(nz, -40.0), nz, P)
    assert res.on_track[: len(spine)].all() and not res.on_track[len(spine) :].any()
    assert np.allclose(res.track_xy[:, 0], -100.0)


def test_a_hip_pair_loses_to_the_spine_between_even_on_the_midline() -> None:
    """Both hips, the patient off-centre (the body's centre on the right hip): a hip with a
    partner on one side only is a hip; the short lumbar spine between them wins."""
    nz = 120
    spine = _spine(30, nz, lambda k: np.full(len(k), 20.0), lambda k: np.full(len(k), 50.0))
    hips = np.vstack([_circles(np.arange(0, 90), x, 55.0, r=10) for x in (-40.0, 80.0)])
    res = fit_track(np.vstack([spine, hips]), np.full(nz, -40.0), nz, P)
    assert res.on_track[: len(spine)].all() and not res.on_track[len(spine) :].any()


def test_a_tilted_spine_that_kmeans_joins_to_a_hip_is_still_followed() -> None:
    """Patient turned 10 degrees sideways: the canal drifts 0.18 mm/mm to one side and
    k-means may put it in one cluster with the hip it approaches; the cluster's longest
    chain ran through hip marrow (before: the crop on the iliac wing)."""
    nz = 400
    drift = np.tan(np.deg2rad(10.0))
    spine = _spine(
        100, nz, lambda k: drift * (k - 100), lambda k: np.full(len(k), 50.0), every=33, seen=5
    )
    right = _circles(np.arange(0, 100), -75.0 + drift * np.arange(0, 100), 50.0, r=10)
    left = _circles(np.arange(10, 110), 50.0 + drift * np.arange(10, 110), 50.0, r=10)
    res = fit_track(np.vstack([spine, right, left]), np.full(nz, 10.0), nz, P)
    assert res.on_track[: len(spine)].all() and not res.on_track[len(spine) :].any()


def test_a_tube_behind_the_tracks_constant_end_does_not_take_it() -> None:
    """Patient turned 15 degrees front to back: the canal runs steadily backwards going
    down, and the sacral canal below its last circle lies 25 mm behind the track held
    constant there. That is no canal behind vertebral bodies (the 'most posterior tube'
    rule looks only where the track was measured); before, the track collapsed onto the
    sacrum (sub-verse008 turned 15 degrees: canal on 11 of 238 slices)."""
    nz = 240
    slope = np.tan(np.deg2rad(15.0))  # LPS y grows backwards; going up (k up) runs forwards
    spine = _spine(40, nz, lambda k: np.zeros(len(k)), lambda k: 100.0 - slope * (k - 40), every=30)
    sacrum = _circles(np.arange(5, 16), 0.0, 125.0, r=5)
    res = fit_track(np.vstack([spine, sacrum]), np.zeros(nz), nz, P)
    assert res.on_track[: len(spine)].all() and not res.on_track[len(spine) :].any()
    k = np.arange(40, 228)  # the last canal circle is on slice 227
    assert np.abs(res.track_xy[k, 1] - (100.0 - slope * (k - 40))).max() < 1.0


def test_a_tube_behind_part_of_the_track_replaces_only_that_part() -> None:
    """A track through vertebral bodies over its whole length, with the canal behind it seen
    at the top only: the top moves back onto the canal, the rest stays (before: the whole
    track went to the top, and the crop lost the lower vertebrae)."""
    nz = 300
    bodies = _spine(0, nz, lambda k: np.zeros(len(k)), lambda k: np.full(len(k), 30.0), seen=12)
    canal = _spine(200, nz, lambda k: np.zeros(len(k)), lambda k: np.full(len(k), 50.0))
    res = fit_track(np.vstack([bodies, canal]), np.zeros(nz), nz, P)
    assert res.on_track[len(bodies) :].all()
    low = bodies[:, 0] < 150
    assert res.on_track[: len(bodies)][low].all()
    assert res.detected[:150].sum() == low.sum()


def test_extent_warning_when_the_canal_spans_a_sliver_of_the_bone() -> None:
    bone = np.zeros(200, bool)
    bone[15:184] = True  # a skull: 169 mm of bone
    det = np.zeros(200, bool)
    det[[99, 100]] = True
    line = extent_warning(det, bone, 1.0)
    assert line is not None
    assert line.startswith("canal found over only 2 mm, 1 % of the 169 mm")
    one_vertebra = np.zeros(40, bool)
    one_vertebra[15:26] = True  # a scan of one vertebra: canal over 11 of 40 mm
    assert extent_warning(one_vertebra, np.ones(40, bool), 1.0) is None
    assert extent_warning(np.zeros(40, bool), np.ones(40, bool), 1.0) is None
