"""Alignment on synthetic pairs with known per-vertebra motions (vertapp.synth).

Targets of issue 12: median corner error <= 1.0 px and 95th percentile <= 2.5 px over the
detected ZOIs, also with rough low-dose outlines (grown or shrunk 1-3 px, own vertices);
a dropped low-dose ZOI is found by the fallback (<= 4 px) and marked; torsion is warned on
the torsioned vertebra only; bad inputs give our error in words."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.xray.zoi_pairs import pair, rough_offsets, zoi_sets
from vertapp.errors import InputError
from vertapp.jobs import Progress, run_job
from vertapp.synth import make_radiograph_pair
from vertapp.xray.align import align_job
from vertapp.xray.similarity import Similarity, corner_errors


def _errors(p, result, high_zois) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {
        v.level: corner_errors(v.matrix, p.motions[v.level].matrix, high_zois[v.level].bbox)
        for v in result.vertebrae
    }


@pytest.mark.parametrize("outlines", ["exact", "rough"])
def test_recovers_known_motions_within_targets(outlines: str) -> None:
    errors = []
    for seed in (0, 1):
        p = pair(seed, "T1", "L5")
        low, high = zoi_sets(p, rough_offsets(p.levels, seed) if outlines == "rough" else None)
        result = run_job(align_job(p.low.array, p.high.array, low, high))
        assert [v.level for v in result.vertebrae] == list(p.levels)
        assert {v.status for v in result.vertebrae} == {"aligned"}
        errors += list(_errors(p, result, high).values())
    e = np.concatenate(errors)
    assert np.median(e) <= 1.0, np.median(e)
    assert np.percentile(e, 95) <= 2.5, np.percentile(e, 95)


def test_finer_pixels_are_read_at_their_own_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 0.4 mm a ZOI spans 75-110 px. Read at half that (the pyramid stopping at 64 px,
    static layer on one level) the error in pixels grew with the pixel count: on this pair
    0.99 / 3.04 px median / 95th percentile; with its own pixels and the ribs taken out on
    two levels 0.68 / 1.82 px (25 s to render the pair). Both are measured here."""
    from vertapp.xray import register

    p = make_radiograph_pair(0, "T1", "L5", pixel_mm=0.4)
    low, high = zoi_sets(p, rough_offsets(p.levels, 0))

    def errors() -> np.ndarray:
        result = run_job(align_job(p.low.array, p.high.array, low, high))
        return np.concatenate(list(_errors(p, result, high).values()))

    e = errors()
    monkeypatch.setattr(register, "FINEST_PX", 64)
    monkeypatch.setattr(register, "STATIC_LEVELS", 1)
    coarse = errors()
    assert np.median(e) <= 1.0 and np.percentile(e, 95) <= 2.5, (np.median(e), e)
    assert np.median(e) <= 0.8 * np.median(coarse), (np.median(e), np.median(coarse))
    assert np.percentile(e, 95) <= 0.8 * np.percentile(coarse, 95)


def test_reported_parameters_match_the_synthetic_motion() -> None:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p)
    result = run_job(align_job(p.low.array, p.high.array, low, high))
    for v in result.vertebrae:
        truth = Similarity.from_matrix(p.motions[v.level].matrix, v.center)
        got = v.similarity
        assert abs(got.angle_deg - p.motions[v.level].angle_deg) < 1.5
        assert abs(got.scale - p.motions[v.level].scale) < 0.02
        assert np.hypot(*np.subtract(got.shift, truth.shift)) < 1.0
        np.testing.assert_allclose(got.matrix, v.matrix, atol=1e-9)


@pytest.mark.parametrize("dropped", ["T11", "L3", "L5"])
def test_dropped_low_dose_zoi_found_by_fallback(dropped: str) -> None:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p, rough_offsets(p.levels, 3))
    del low[dropped]
    result = run_job(align_job(p.low.array, p.high.array, low, high))
    v = result.by_level()[dropped]
    assert v.status == "fallback"
    assert "not found on the low-dose image" in v.warnings[0]
    assert any(w.startswith(f"{dropped}: not found") for w in result.warnings)
    assert _errors(p, result, high)[dropped].max() <= 4.0
    others = [o.status for o in result.vertebrae if o.level != dropped]
    assert set(others) == {"aligned"}


@pytest.mark.parametrize(("seed", "twisted"), [(0, "L2"), (3, "L1")])
def test_torsion_warned_on_the_torsioned_vertebra_only(seed: int, twisted: str) -> None:
    p = pair(seed, "T10", "L5", torsion=twisted)
    low, high = zoi_sets(p)
    result = run_job(align_job(p.low.array, p.high.array, low, high))
    warned = {v.level for v in result.vertebrae if any("torsion" in w for w in v.warnings)}
    assert warned == {twisted}
    note = next(w for w in result.by_level()[twisted].warnings if "torsion" in w)
    assert "px more than the similarity explains" in note  # the measured reason


def test_low_score_is_failed_not_aligned() -> None:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p)
    noise = np.random.default_rng(5).normal(0.5, 0.2, p.low.array.shape).astype(np.float32)
    result = run_job(align_job(noise, p.high.array, low, high))
    assert {v.status for v in result.vertebrae} == {"failed"}
    assert all("not aligned" in v.warnings[0] for v in result.vertebrae)


def test_job_reports_progress_and_can_be_cancelled() -> None:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p)
    del low["L1"]
    events: list[Progress] = []
    run_job(align_job(p.low.array, p.high.array, low, high), events.append)
    assert [e.message for e in events][-1] == "L1 (fallback)"
    assert events[-1].fraction == 1.0
    job = align_job(p.low.array, p.high.array, low, high)
    next(job)
    job.close()
    with pytest.raises(StopIteration):
        next(job)


def test_bad_inputs_are_our_errors() -> None:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p)
    with pytest.raises(InputError, match="same size"):
        run_job(align_job(p.low.array[:-3], p.high.array, low, high))
    only_low = {k: v for k, v in low.items() if k in ("T10", "T11")}
    only_high = {k: v for k, v in high.items() if k in ("L4", "L5")}
    with pytest.raises(InputError, match="no vertebra in common"):
        run_job(align_job(p.low.array, p.high.array, only_low, only_high))
    with pytest.raises(InputError, match="no vertebra was found on the low-dose image"):
        run_job(align_job(p.low.array, p.high.array, {}, high))


def test_outline_check_flags_results_the_low_dose_outline_contradicts() -> None:
    from vertapp.xray.outline_check import outline_warnings

    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p, rough_offsets(p.levels, 1))
    for level in ("T11", "L2"):
        truth = Similarity.from_matrix(p.motions[level].matrix, high[level].centroid)
        assert outline_warnings(truth.matrix, high[level], low[level]) == []
        shifted = Similarity(
            truth.angle_deg, truth.scale, (truth.shift[0], truth.shift[1] + 8), truth.center
        )
        assert (
            "px from the low-dose outline's centre"
            in outline_warnings(shifted.matrix, high[level], low[level])[0]
        )
        turned = Similarity(truth.angle_deg + 8, truth.scale, truth.shift, truth.center)
        assert (
            "deg off the low-dose outline's"
            in outline_warnings(turned.matrix, high[level], low[level])[-1]
        )


def test_rough_outlines_alone_do_not_make_a_right_alignment_doubtful() -> None:
    """At 1 mm a thoracic ZOI is ~30 px; an outline shrunk by 3 px loses its thin
    processes, which moved its centre ~4 px and turned its axis up to 12 deg. With fixed
    limits 10 of these 51 true motions were flagged; the limits now grow by what the ZOI's
    own outline does when grown or shrunk by 3 px."""
    from vertapp.xray.outline_check import outline_warnings

    flagged = []
    for seed in range(3):
        p = pair(seed, "T1", "L5")
        low, high = zoi_sets(p, rough_offsets(p.levels, seed))
        for level in p.levels:
            truth = Similarity.from_matrix(p.motions[level].matrix, high[level].centroid)
            if outline_warnings(truth.matrix, high[level], low[level]):
                flagged.append((seed, level))
    assert len(flagged) <= 2, flagged


def test_fallback_also_starts_from_each_neighbours_own_motion() -> None:
    # T2 and T4 moved differently: started from their mean motion alone, T3 settled 6.9 px
    # off (score 0.88) although its true place matches better (0.95 when paired)
    p = pair(0, "T1", "L5")
    low, high = zoi_sets(p, rough_offsets(p.levels, 0))
    del low["T3"]
    result = run_job(align_job(p.low.array, p.high.array, low, high))
    v = result.by_level()["T3"]
    assert v.status == "fallback"
    assert _errors(p, result, high)["T3"].max() <= 4.0  # measured 2.2 px
