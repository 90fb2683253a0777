"""The torsion check runs again after every hand correction and its undo
(`placement_verdict.check_alignment` given the low-dose ZOIs, `pair.PairState`).

Audit r16 (H10): torsion judges each vertebra against the others' median (its part
spreads against theirs, its score against theirs), yet after a hand correction only the
placement check ran again: the vertebrae kept the torsion verdicts of the old placements.
Here L4 is turned 10 degrees about its vertical axis on a three-vertebra film (the median
of two is their mean); L5's scale corrected by hand by 40 % changes what L5's parts
spread, and with it what is usual for L4's: its transverse process spreads 1.5 px past
the usual, under the 2.2 px limit (2.8 px before), so L4 is no longer warned, and is fused.
On longer films the median moves less, but a warning's numbers still change."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.unit.xray.zoi_pairs import zoi_sets
from vertapp.jobs import run_job
from vertapp.synth import make_radiograph_pair
from vertapp.xray.fuse import fuse, left_out
from vertapp.xray.pair import PairInputs, PairState, nudged, pair_job
from vertapp.xray.torsion import WORDS, torsion_warnings

TURNED = "L4"
GROWN = "L5"


@pytest.fixture(scope="module")
def turned() -> PairState:
    p = make_radiograph_pair(0, "L3", "L5", torsion=TURNED, torsion_deg=10.0)
    low, high = zoi_sets(p)
    return run_job(pair_job(PairInputs(p.low.array, p.high.array, low, high)))


def _fresh(state: PairState) -> PairState:
    """A state of its own on the module's alignment (corrections do not reach the fixture)."""
    result = state.alignment
    own = replace(result, vertebrae=list(result.vertebrae), warnings=list(result.warnings))
    return PairState(state.inputs, own, state.fuse_warned)


def _torsion(state: PairState, level: str) -> list[str]:
    return [w for w in state.record(level).warnings if w.startswith(WORDS)]


def _as_now(state: PairState) -> dict[str, list[str]]:
    """What the torsion check says of the placements as they are now, from scratch."""
    inp = state.inputs
    records = [replace(v, status=v.own_status or v.status) for v in state.alignment.vertebrae]
    return torsion_warnings(records, inp.high_zois, inp.low_zois)


def test_a_neighbours_scale_corrected_by_hand_takes_back_the_torsion_warning(
    turned: PairState,
) -> None:
    state = _fresh(turned)
    before = state.fused.copy()
    automatic = list(state.alignment.vertebrae)
    warned = _torsion(state, TURNED)
    assert warned and "transverse process" in warned[0]
    assert left_out(state.record(TURNED)) == "possible torsion"
    assert not any(_torsion(state, lv) for lv in ("L3", GROWN))
    state.set_similarity(GROWN, nudged(state.similarity(GROWN), 0.0, 0.0, 0.0, 1.4))
    # what the check says of L4 now is what it says of these placements from scratch
    assert _torsion(state, TURNED) == [] == _as_now(state)[TURNED]
    assert not any(r.torsion for r in state.rows())
    assert left_out(state.record(TURNED)) == ""  # fused now, in the redrawn region too
    inp = state.inputs
    scratch = fuse(inp.low, inp.high, state.alignment, inp.high_zois)
    np.testing.assert_allclose(state.fused, scratch, atol=2e-3 * np.ptp(scratch))
    # undone: every record, and the fused image, as the alignment left them
    state.restore(GROWN, automatic[-1], False)
    assert state.alignment.vertebrae == automatic
    assert _torsion(state, TURNED) == warned
    np.testing.assert_allclose(state.fused, before, atol=1e-4)


def test_the_warnings_numbers_follow_every_correction(turned: PairState) -> None:
    """A smaller correction keeps the warning, in the numbers of the placements now (the
    excess of the old ones was kept)."""
    state = _fresh(turned)
    old = _torsion(state, TURNED)
    state.set_similarity(GROWN, nudged(state.similarity(GROWN), 0.0, 0.0, 0.0, 0.9))
    now = _torsion(state, TURNED)
    assert now and now != old and now == _as_now(state)[TURNED]
    state.set_similarity(GROWN, nudged(state.similarity(GROWN), 0.0, 0.0, 0.0, 1 / 0.9))
    assert _torsion(state, TURNED) == _as_now(state)[TURNED]
    # each warning once: the ones found before are taken off, never kept beside
    assert all(len(v.warnings) == len(set(v.warnings)) for v in state.alignment.vertebrae)


def test_a_vertebra_placed_by_hand_far_off_is_warned_for_its_score(turned: PairState) -> None:
    """The corrected vertebra's own torsion warnings are those of where it is now: moved
    half its size off, it correlates well below the others, and the residual says so."""
    state = _fresh(turned)
    width = state.inputs.high_zois["L3"].bbox[2]
    state.set_similarity("L3", nudged(state.similarity("L3"), 0.5 * width, 0.0, 0.0, 1.0))
    said = _torsion(state, "L3")
    assert any("poor match: alignment score" in w for w in said), state.record("L3").warnings
    assert said == _as_now(state)["L3"]
    assert left_out(state.record("L3")) == ""  # placed by hand: fused all the same
