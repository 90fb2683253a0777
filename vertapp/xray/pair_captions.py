"""Where the pair view writes each vertebra's level, and in which colour.

Audit r16 (a real AASCE pair): the three views showed no level anywhere; only the vertebra
chosen in the table was framed, so telling which bone is T7 (the fallback row) took a click
per row, while check.png writes every level beside its outline. The pair view now writes
them as check.png does: beside the right edge of the vertebra's box, in its check colour
(green aligned, blue by hand, yellow fallback, amber warned, red failed), on the high dose
where its ZOI is and on the low-dose and fused views where that ZOI lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vertapp.xray.fuse import COLOURS, check_kind

if TYPE_CHECKING:  # pair imports nothing of this module; the type only
    from vertapp.xray.pair import PairState

Point = tuple[float, float]


@dataclass(frozen=True)
class Caption:
    level: str
    high_at: Point  # (col, row) on the high-dose image: the right middle of its ZOI box
    low_at: Point  # the same on the low-dose image, where that box lands
    rgb: tuple[int, int, int]
    # drawn over lower ranks: a failed vertebra landing on a neighbour must not hide
    # under the neighbour's caption (the audit's L3, outlined on L4, did)
    rank: int


# check.png's kinds by how much they need a look
RANKS = {"aligned": 0, "by hand": 1, "fallback": 2, "warned": 3, "failed": 4}


def captions(state: PairState) -> list[Caption]:
    """One caption per vertebra of the alignment, as it is now (hand corrections too)."""
    out = []
    for v in state.alignment.vertebrae:
        kind = check_kind(v)
        bgr = COLOURS[kind][0]
        out.append(
            Caption(
                v.level,
                right_middle(state.zoi_corners(v.level)),
                right_middle(state.landing(v.level)),
                (bgr[2], bgr[1], bgr[0]),
                RANKS[kind],
            )
        )
    return out


def right_middle(corners: np.ndarray) -> Point:
    """The right-most column of a box's corners (col, row) at their mean row."""
    return float(np.max(corners[:, 0])), float(np.mean(corners[:, 1]))
