"""The check across vertebrae runs again after every hand correction and its undo
(`placement_verdict.check_alignment`, `pair.PairState.set_similarity` / `restore`).

Audit r16: after a hand correction the other vertebrae kept what the check had said of
the old placements. A neighbour's "overlapped: L3 lands on it" was dropped as soon as L3
was touched at all (nudged 1 px, still on it); L3 moved by hand onto a neighbour warned
nobody; a vertebra failed because another one landed on it stayed failed (and out of the
fused image) once that one was moved away."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tests.unit.xray.zoi_pairs import pair, rough_offsets, zoi_sets
from vertapp.jobs import run_job
from vertapp.xray.align import Automatic
from vertapp.xray.consistency import INCONSISTENT
from vertapp.xray.fuse import fuse, left_out
from vertapp.xray.pair import PairInputs, PairState, nudged, pair_job
from vertapp.xray.similarity import Similarity, apply_matrix
from vertapp.xray.zoi import zois_from_masks

LANDS = "overlapped: L3 lands on it"


def _inputs(l3_on_l4: bool) -> PairInputs:
    p = pair(0, "T10", "L5")
    low, high = zoi_sets(p, rough_offsets(p.levels, 0))
    if l3_on_l4:  # the low-dose L3 outline drawn on L4: L3 is aligned onto L4
        masks = {level: z.mask for level, z in low.items()}
        masks["L3"] = masks["L4"]
        low = zois_from_masks(masks)
    return PairInputs(p.low.array, p.high.array, low, high)


@pytest.fixture(scope="module")
def overlapped() -> PairState:
    return run_job(pair_job(_inputs(True)))


@pytest.fixture(scope="module")
def right() -> PairState:
    return run_job(pair_job(_inputs(False)))


def _fresh(state: PairState, fuse_warned: bool = False) -> PairState:
    """A state of its own on the module's alignment (corrections do not reach the fixture)."""
    result = state.alignment
    own = replace(result, vertebrae=list(result.vertebrae), warnings=list(result.warnings))
    return PairState(state.inputs, own, fuse_warned)


def _said(state: PairState, level: str) -> list[str]:
    return state.record(level).warnings


def _moved_by(state: PairState, level: str, dx: float, dy: float) -> Similarity:
    return nudged(state.similarity(level), dx, dy, 0.0, 1.0)


def _true_place(state: PairState, level: str) -> Similarity:
    """Where the synthetic pair's known motion puts the high-dose vertebra."""
    motion = pair(0, "T10", "L5").motions[level].matrix
    return Similarity.from_matrix(motion, state.record(level).center)


def _landed(state: PairState, level: str) -> np.ndarray:
    """Where the vertebra's high-dose centre lands on the low-dose image."""
    v = state.record(level)
    return apply_matrix(v.matrix, np.array(v.center))[0]


def test_the_neighbours_overlap_is_said_while_it_holds_and_again_after_undo(
    overlapped: PairState,
) -> None:
    state = _fresh(overlapped)
    auto_l3, auto_l4 = state.record("L3"), state.record("L4")
    assert auto_l3.status == "failed" and any(w.startswith(LANDS) for w in auto_l4.warnings)
    # nudged 1 px: L3 still lands on L4, and the check still says so (it was dropped)
    state.set_similarity("L3", _moved_by(state, "L3", 1.0, 0.0))
    nudged_l3 = state.record("L3")
    assert any(w.startswith(LANDS) for w in _said(state, "L4"))
    assert state.record("L4").status == "aligned"
    # placed by hand, L3 is kept and fused, warned that it lands where L4 does
    assert nudged_l3.status == "aligned" and nudged_l3.by_hand and not left_out(nudged_l3)
    assert any("lands where L4 lands" in w and "kept" in w for w in nudged_l3.warnings)
    # the automatic result of the corrected one is the one stored before the correction
    assert nudged_l3.automatic == Automatic(auto_l3.status, auto_l3.score, tuple(auto_l3.warnings))
    # put right: nothing lands on L4 and nothing is inconsistent any more
    state.set_similarity("L3", _true_place(state, "L3"))
    assert not any(w.startswith(LANDS) for w in _said(state, "L4"))
    assert not any(INCONSISTENT in w for v in state.alignment.vertebrae for w in v.warnings)
    assert state.record("L3").automatic == nudged_l3.automatic
    assert not any(w.startswith(("L4: overlapped", "L3: inconsistent")) for w in _top(state))
    # undone step by step, as the window's undo stack does
    state.restore("L3", nudged_l3, True)
    assert any(w.startswith(LANDS) for w in _said(state, "L4"))
    state.restore("L3", auto_l3, False)
    assert state.alignment.vertebrae == overlapped.alignment.vertebrae
    assert _top(state) == _top(overlapped)


def _top(state: PairState) -> list[str]:
    return state.alignment.warnings


def test_a_vertebra_moved_by_hand_onto_its_neighbour_warns_the_neighbour(
    right: PairState,
) -> None:
    state = _fresh(right)
    assert not any(INCONSISTENT in w or "lands on" in w for w in right.alignment.warnings)
    onto = _landed(state, "L4") - _landed(state, "L3")
    state.set_similarity("L3", _moved_by(state, "L3", *onto))
    assert any(w.startswith(LANDS) for w in _said(state, "L4"))
    assert any(w.startswith("L4: overlapped: L3 lands on it") for w in _top(state))
    l3 = state.record("L3")
    assert any(w.startswith(f"{INCONSISTENT}: lands where L4 lands") for w in l3.warnings)
    assert l3.status == "aligned" and state.record("L4").status == "aligned"
    assert "2 warned" in state.summary()  # L4, and L3 itself
    state.restore("L3", right.record("L3"), False)
    assert state.alignment.vertebrae == right.alignment.vertebrae


def test_a_vertebra_failed_for_a_neighbours_place_is_fused_once_that_one_is_moved(
    overlapped: PairState,
) -> None:
    """Fused warned ones too (the window's choice): L3, failed while L4 was where L3 lands,
    is fused as soon as L4 is moved away, and the image is what a fuse from scratch makes."""
    state = _fresh(overlapped, fuse_warned=True)
    before = state.fused.copy()
    assert left_out(state.record("L3"), True) == "failed"
    width = state.inputs.high_zois["L4"].bbox[2]
    state.set_similarity("L4", _moved_by(state, "L4", 1.5 * width, 0.0))
    l3 = state.record("L3")
    assert l3.status == "aligned" and not any("not aligned" in w for w in l3.warnings)
    assert left_out(l3, True) == ""
    inp = state.inputs
    scratch = fuse(inp.low, inp.high, state.alignment, inp.high_zois, True)
    inside = _inside(state, "L3")
    np.testing.assert_allclose(state.fused[inside], scratch[inside], atol=2e-3 * np.ptp(scratch))
    low = np.asarray(inp.low, np.float32)
    assert not np.allclose(state.fused[inside], low[inside], atol=0.01)  # fused, not low
    state.restore("L4", overlapped.record("L4"), False)
    assert state.record("L3").status == "failed"
    np.testing.assert_allclose(state.fused, before, atol=1e-4)


def _inside(state: PairState, level: str) -> np.ndarray:
    """Where the vertebra's high-dose ZOI lands, eroded clear of its neighbours' edges."""
    size = (state.fused.shape[1], state.fused.shape[0])
    mask = state.inputs.high_zois[level].mask.astype(np.uint8)
    landed = cv2.warpAffine(mask, state.record(level).matrix, size)
    return cv2.erode(landed, np.ones((9, 9), np.uint8)) > 0
