"""A vertebra that fails because its low-dose outline was drawn on another level's says so
(audit r16: a real film's L3 outlined on L4 read only "alignment score 0.31 is below
0.35: not aligned")."""

from __future__ import annotations

import numpy as np

from tests.unit.xray.zoi_pairs import pair, zoi_sets
from vertapp.jobs import run_job
from vertapp.xray.align import align_job
from vertapp.xray.outline_overlap import shared_outline_note
from vertapp.xray.zoi import Zoi


def _blurred_out(image: np.ndarray, zoi: Zoi) -> np.ndarray:
    """`image` with the box of `zoi` grown by half its size flattened to grain: nothing
    there looks like any vertebra, so a search started there fails."""
    x, y, w, h = zoi.bbox
    out = np.array(image, np.float32, copy=True)
    y0, y1, x0, x1 = max(y - h // 2, 0), y + h + h // 2, max(x - w // 2, 0), x + w + w // 2
    region = out[y0:y1, x0:x1]
    grain = np.random.default_rng(0).normal(0, 0.01 * float(np.ptp(out)), region.shape)
    out[y0:y1, x0:x1] = float(region.mean()) + grain
    return out


def test_a_failed_vertebra_drawn_on_its_neighbour_names_the_neighbours_outline() -> None:
    p = pair(0, "T10", "L5")
    low_zois, high_zois = zoi_sets(p)
    low_zois["L3"] = Zoi("L3", low_zois["L4"].mask.copy(), {})  # L3 outlined on L4
    low = _blurred_out(p.low.array, low_zois["L4"])
    result = run_job(align_job(low, p.high.array, low_zois, high_zois))
    l3 = result.by_level()["L3"]
    assert l3.status == "failed"
    assert any("below 0.35" in w for w in l3.warnings)  # the score still said first
    assert any("lies on L4's (100 % of the smaller)" in w for w in l3.warnings), l3.warnings
    assert any(w.startswith("L3: its low-dose outline lies on L4's") for w in result.warnings)
    for level in ("T12", "L1", "L5"):  # outlines of their own: no such note
        assert not any("lies on" in w for w in result.by_level()[level].warnings)


def test_outlines_that_only_touch_are_not_called_the_same_bone() -> None:
    p = pair(0, "T10", "L5")
    low_zois, _ = zoi_sets(p)
    assert shared_outline_note("L3", low_zois) == ""
    grown = Zoi("L3", np.zeros_like(low_zois["L3"].mask), {})
    grown.mask[low_zois["L3"].mask] = True
    rows = np.nonzero(low_zois["L4"].mask.any(axis=1))[0]
    grown.mask[rows[: len(rows) // 4]] |= low_zois["L4"].mask[rows[: len(rows) // 4]]  # a corner
    assert shared_outline_note("L3", low_zois | {"L3": grown}) == ""
    assert shared_outline_note("T1", low_zois) == ""  # no low-dose outline of its own


def test_the_fused_image_note_agrees_with_how_many_it_names() -> None:
    """ "fused image: L3 (failed) keep their low-dose pixels" read wrong for one vertebra."""
    from vertapp.xray.align import Alignment, VertebraAlignment
    from vertapp.xray.fuse import left_out_note

    def record(level: str, status: str) -> VertebraAlignment:
        return VertebraAlignment(level, np.eye(2, 3), (0.0, 0.0), 0.2, status)

    one = Alignment([record("L2", "aligned"), record("L3", "failed")])
    assert left_out_note(one) == "fused image: L3 (failed) keeps its low-dose pixels"
    two = Alignment([record("L2", "failed"), record("L3", "failed")])
    assert left_out_note(two).endswith("L2 (failed), L3 (failed) keep their low-dose pixels")
