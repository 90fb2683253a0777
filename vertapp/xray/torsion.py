"""Torsion: a 3D turn of a vertebra that no 2D similarity explains (the paper's failure
mode 1). Two measured signs, each reported per vertebra with its numbers:

- part spread: turning a vertebra about the vertical axis separates its left and right
  pedicles and transverse processes in the projection (on an AP view the spinous process
  also leaves the midline between the pedicles: the left-right symmetry changes). So a
  part's outline on the low-dose image spreads more than its high-dose twin mapped by the
  similarity. The spread is the RMS radius of the part's pixels; the body's own change is
  subtracted (rough outlines grow every part alike) and so is the typical change of the
  same part in the other vertebrae (systematic outline differences between the two scans).
- residual: after alignment, the vertebra's score falls well below the others' (the same
  anatomy imaged the same way should correlate about as well).

Both judge a vertebra against the others (their median), so moving one vertebra by hand
can change another's verdict: the pair view runs it again after every hand correction
(`placement_verdict.check_alignment`).
"""

from __future__ import annotations

# statistics.median, not numpy's: ~50 lists of 16 numbers after each hand correction,
# where np.median's overhead (~20 us a call) was a tenth of the nudge
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from vertapp.xray.zoi import Zoi

if TYPE_CHECKING:
    from vertapp.xray.align import VertebraAlignment

RESIDUAL_DROP = 0.3  # score this far below the others' median -> warn
SPREAD_MIN_PX = 1.5  # a part spreading this much more than usual -> warn ...
SPREAD_FRACTION = 0.05  # ... or this share of the vertebra size, whichever is larger
LATERAL_PARTS = ("pedicle", "transverse_process", "spinous_process")
WORDS = "possible torsion"  # how its warnings start (taken off before it runs again)


def torsion_warnings(
    vertebrae: Sequence[VertebraAlignment],
    high_zois: Mapping[str, Zoi],
    low_zois: Mapping[str, Zoi],
) -> dict[str, list[str]]:
    """Level -> torsion warnings (empty lists for the vertebrae that show none)."""
    live = [v for v in vertebrae if v.status != "failed"]
    out: dict[str, list[str]] = {v.level: [] for v in vertebrae}
    for v in live:
        others = [o.score for o in live if o.level != v.level]
        typical = statistics.median(others) if others else v.score
        if v.score < typical - RESIDUAL_DROP:
            out[v.level].append(
                f"{WORDS} or poor match: alignment score {v.score:.2f} against "
                f"{typical:.2f} for the other vertebrae (a 2D similarity does not explain "
                "its change)"
            )
    spreads = {
        v.level: _part_spreads(v.matrix, high_zois[v.level], low_zois[v.level])
        for v in live
        if v.level in low_zois
    }
    for level, parts in spreads.items():
        limit = max(SPREAD_MIN_PX, SPREAD_FRACTION * high_zois[level].size_px)
        for part, extra in parts.items():
            usual = [s[part] for lv, s in spreads.items() if lv != level and part in s]
            excess = extra - (statistics.median(usual) if usual else 0.0)
            if excess > limit:
                out[level].append(
                    f"{WORDS}: the {part.replace('_', ' ')} outline spreads "
                    f"{excess:.1f} px more than the similarity explains (limit {limit:.1f} px)"
                )
    return out


def _part_spreads(matrix: np.ndarray, high: Zoi, low: Zoi) -> dict[str, float]:
    """Part -> growth of its RMS radius from the mapped high-dose outline to the low-dose
    one, minus the body's growth; empty without a body outline on both images."""
    linear = np.asarray(matrix, dtype=float)[:, :2]

    def growth(name: str) -> float | None:
        hs, ls = high.part_spreads.get(name), low.part_spreads.get(name)
        if hs is None or ls is None or hs[0] < 3:
            return None
        # covariances do not depend on where the pixels are: the ZOI's box is enough
        mapped = linear @ hs[1] @ linear.T
        return float(np.sqrt(np.trace(ls[1])) - np.sqrt(np.trace(mapped)))

    body = growth("body")
    if body is None:
        return {}
    found = {name: growth(name) for name in LATERAL_PARTS}
    return {name: g - body for name, g in found.items() if g is not None}
