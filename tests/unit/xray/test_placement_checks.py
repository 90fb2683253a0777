"""The check across vertebrae after alignment (`consistency.py`, `film_motion.py`), the
fused and check images that follow it (`fuse.left_out`, `fuse.outline`), and hand
corrections in the record (`pair.PairState.set_similarity`, `alignment_file`).

Audit r14: a low-dose L3 outline drawn on L4, or a whole film numbered a level off, was
called "aligned" with no warning; a vertebra warned for torsion was fused as if fine and
outlined green; a hand-corrected record kept its automatic status, score and warnings."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tests.unit.xray.zoi_pairs import pair, rough_offsets, zoi_sets
from vertapp.jobs import run_job
from vertapp.xray.align import align_job
from vertapp.xray.alignment_file import alignment_record, summary
from vertapp.xray.consistency import INCONSISTENT, NUMBERED_ALIKE
from vertapp.xray.fuse import COLOURS, fuse, left_out, outline, to_display
from vertapp.xray.pair import PairInputs, PairState, nudged, pair_job
from vertapp.xray.zoi import Zoi, zois_from_masks


def _masks(zois: dict[str, Zoi]) -> dict[str, np.ndarray]:
    return {level: z.mask for level, z in zois.items()}


def _warned(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {v.level for v in result.vertebrae if any(INCONSISTENT in w for w in v.warnings)}


@pytest.fixture(scope="module")
def synth():  # type: ignore[no-untyped-def]
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p, rough_offsets(p.levels, 0))
    return p, low, high


def test_right_pairs_get_no_placement_warning(synth) -> None:  # type: ignore[no-untyped-def]
    p, low, high = synth
    result = run_job(align_job(p.low.array, p.high.array, low, high))
    assert _warned(result) == set()
    assert {v.status for v in result.vertebrae} == {"aligned"}
    assert result.film_motion is not None


def test_a_vertebra_aligned_onto_its_neighbour_fails_and_both_are_warned(synth) -> None:  # type: ignore[no-untyped-def]
    p, low, high = synth
    masks = _masks(low)
    masks["L3"] = masks["L4"]  # the low-dose L3 outline drawn on L4
    result = run_job(align_job(p.low.array, p.high.array, zois_from_masks(masks), high))
    by = result.by_level()
    assert by["L3"].status == "failed" and by["L4"].status == "aligned"
    assert any("lands where L4 lands" in w and "not aligned" in w for w in by["L3"].warnings)
    assert any("L3 lands on it" in w for w in by["L4"].warnings)
    assert any(w.startswith(f"L3: {INCONSISTENT}") for w in result.warnings)


def test_a_vertebra_moved_40_px_down_is_warned_with_its_numbers(synth) -> None:  # type: ignore[no-untyped-def]
    """The audit's low_L3shift40: its outline moved 40 px (at 1 mm: a vertebra's height)."""
    p, low, high = synth
    masks = _masks(low)
    masks["L3"] = np.roll(masks["L3"], 30, axis=0)
    result = run_job(align_job(p.low.array, p.high.array, zois_from_masks(masks), high))
    l3 = result.by_level()["L3"]
    said = [w for w in l3.warnings if "from where the film's motion puts it" in w]
    assert said and "of its height" in said[0], l3.warnings
    assert _warned(result) - {"L2", "L4"} == {"L3"}  # a neighbour it lands on, at most


def test_a_film_numbered_a_level_off_is_warned_for_the_film(synth) -> None:  # type: ignore[no-untyped-def]
    """Per-vertebra fits agree with each other here: only the films' content shows it."""
    p, low, high = synth
    levels = list(low)
    masks = {levels[i]: low[levels[i - 1]].mask for i in range(1, len(levels))}
    result = run_job(align_job(p.low.array, p.high.array, zois_from_masks(masks), high))
    film = [w for w in result.warnings if w[0].isdigit()]
    assert len(film) == 1 and NUMBERED_ALIKE in film[0], result.warnings
    live = [v for v in result.vertebrae if v.status != "failed"]
    assert len(_warned(result)) >= len(live) - 1


def test_a_patient_who_moved_between_the_films_is_not_warned(synth) -> None:  # type: ignore[no-untyped-def]
    p, low, high = synth
    h, w = p.low.array.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.04)
    m[:, 2] += (0.03 * w, 0.06 * h)  # ~30 px down: most of a vertebra at 1 mm
    size = (w, h)
    moved = cv2.warpAffine(p.low.array.astype(np.float32), m, size, borderMode=cv2.BORDER_REFLECT)
    masks = {
        k: cv2.warpAffine(v.astype(np.uint8), m, size, flags=cv2.INTER_NEAREST) > 0
        for k, v in _masks(low).items()
    }
    result = run_job(align_job(moved, p.high.array, zois_from_masks(masks), high))
    assert _warned(result) == set(), result.warnings
    assert not any(NUMBERED_ALIKE in w for w in result.warnings)


@pytest.fixture(scope="module")
def twisted() -> PairState:
    p = pair(0, "T12", "L5", torsion="L2")
    low, high = zoi_sets(p)
    return run_job(pair_job(PairInputs(p.low.array, p.high.array, low, high, (0.5, 0.5))))


def _in_mask(image: np.ndarray, state: PairState, level: str) -> np.ndarray:
    v = state.record(level)
    zoi = state.inputs.high_zois[level]
    size = (image.shape[1], image.shape[0])
    mask = cv2.warpAffine(zoi.mask.astype(np.uint8), v.matrix, size)
    # its inside: a neighbour's feathered edge may reach over its rim
    return image[cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0]


def test_a_torsion_warned_vertebra_keeps_its_low_dose_pixels_unless_asked(
    twisted: PairState,
) -> None:
    inp, result = twisted.inputs, twisted.alignment
    assert left_out(result.by_level()["L2"]) == "possible torsion"
    kept = fuse(inp.low, inp.high, result, inp.high_zois)
    low = np.asarray(inp.low, np.float32)
    same = np.abs(_in_mask(kept, twisted, "L2") - _in_mask(low, twisted, "L2")) < 1e-3
    assert same.mean() > 0.95  # (where L1's and L3's feathered edges reach, not quite)
    assert not np.allclose(_in_mask(kept, twisted, "L3"), _in_mask(low, twisted, "L3"), atol=0.01)
    asked = fuse(inp.low, inp.high, result, inp.high_zois, fuse_warned=True)
    assert not np.allclose(_in_mask(asked, twisted, "L2"), _in_mask(low, twisted, "L2"), atol=0.01)
    # the window's fused image is the same choice
    assert np.allclose(twisted.fused, kept, atol=1e-3)
    record = alignment_record(result)
    l2 = next(v for v in record["vertebrae"] if v["level"] == "L2")
    assert l2["fused"] is False and l2["not_fused_because"] == "possible torsion"
    assert any(w.startswith("fused image: L2 (possible torsion)") for w in record["warnings"])
    assert all(v["fused"] for v in alignment_record(result, True)["vertebrae"])


def test_check_image_outlines_warned_vertebrae_amber_and_names_them(twisted: PairState) -> None:
    inp, result = twisted.inputs, twisted.alignment
    display = to_display(np.asarray(inp.low, np.float32), inp.low, 8)
    rgb = outline(display, result, inp.high_zois)
    amber, green = COLOURS["warned"][0], COLOURS["aligned"][0]
    is_amber = np.all(rgb == amber, axis=2)
    assert is_amber.sum() > 50
    # the amber outline is L2's: around where it landed
    x, y, w, h = inp.high_zois["L2"].bbox
    near = is_amber[max(y - 5, 0) : y + h + 5, max(x - 5, 0) : x + w + 60]
    assert near.sum() > 0.5 * is_amber[40:].sum()  # (the legend's word at the top left)
    assert np.all(rgb == green, axis=2).sum() > 50


def test_a_hand_correction_is_recorded_as_such(twisted: PairState) -> None:
    """A failed vertebra nudged by hand was exported as "aligned" with the warning "not
    aligned" and its automatic score."""
    state = PairState(
        twisted.inputs, replace(twisted.alignment, vertebrae=list(twisted.alignment.vertebrae))
    )
    i = next(i for i, v in enumerate(state.alignment.vertebrae) if v.level == "L4")
    failed = replace(
        state.alignment.vertebrae[i],
        status="failed",
        score=0.2,
        warnings=["alignment score 0.20 is below 0.35: not aligned"],
    )
    state.alignment.vertebrae[i] = failed
    assert summary(state.alignment).startswith("6 vertebrae: 5 aligned, 1 failed")
    state.set_similarity("L4", nudged(state.similarity("L4"), 1.0, 0.0, 0.0, 1.0))
    v = state.record("L4")
    assert v.status == "aligned" and v.by_hand
    assert v.score != pytest.approx(0.2) and v.score > 0.5  # scored where it is now
    assert not any("not aligned" in w for w in v.warnings)
    record = next(r for r in alignment_record(state.alignment)["vertebrae"] if r["level"] == "L4")
    assert record["by_hand"] is True and record["status"] == "aligned" and record["fused"]
    assert record["automatic"] == {
        "status": "failed",
        "score": 0.2,
        "warnings": ["alignment score 0.20 is below 0.35: not aligned"],
    }
    top = alignment_record(state.alignment)["warnings"]
    assert not any(w.startswith("L4: alignment score") for w in top)
    assert "1 by hand" in summary(state.alignment)
    row = next(r for r in state.rows() if r.level == "L4")
    assert row.corrected and "automatic: failed, score 0.20" in row.reason
    state.restore("L4", failed, False)  # undone: the automatic record again
    assert state.record("L4") == failed


def test_a_project_pair_of_different_sizes_is_refused_before_it_opens() -> None:
    """AASCE 162 A/B differ in size: the window opened on three black panes."""
    from vertapp.xray.align import SAME_SIZE
    from vertapp.xray.pair_sizes import size_refusal
    from vertapp.xray.project_pair import ImageOutlines

    a, b = ImageOutlines("image 1", 2125, 755, ()), ImageOutlines("image 2", 2364, 1078, ())
    said = size_refusal(a, b)
    assert "755x2125" in said and "1078x2364" in said and SAME_SIZE in said
    assert size_refusal(a, a) == ""
