"""Why a vertebra failed, where its low-dose outline says so: it lies on another level's.

A low-dose outline drawn on the neighbour (a copied polygon, a prediction numbered twice)
starts the search at the neighbour's place; where the two vertebrae look unalike the fit
fails, and its only words were "alignment score 0.31 is below 0.35: not aligned" (audit
r16 on a real AASCE film, L3's outline drawn on L4), which says nothing of the cause a
reviewer can fix. Vertebral bodies never overlap (a disc lies between them), so two
low-dose outlines covering each other mostly means one of them names the wrong level.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vertapp.labels import VERTEBRA_ID
from vertapp.xray.zoi import Zoi

SHARED = 0.5  # overlap, as a share of the smaller outline, taken as drawn on the same bone


def shared_outline_note(level: str, low_zois: Mapping[str, Zoi]) -> str:
    """A clause for a failed vertebra whose low-dose outline lies on another level's,
    naming it and the overlap; "" when none does (or `level` has no low-dose outline)."""
    own = low_zois.get(level)
    if own is None:
        return ""
    found = [
        (share, other)
        for other, zoi in low_zois.items()
        if other != level and (share := _overlap(own, zoi)) >= SHARED
    ]
    if not found:
        return ""
    share, other = max(found, key=lambda f: (f[0], -VERTEBRA_ID.get(f[1], 99)))
    return (
        f"its low-dose outline lies on {other}'s ({round(100 * share)} % of the smaller): "
        f"is it drawn on the wrong vertebra?"
    )


def _overlap(a: Zoi, b: Zoi) -> float:
    """Shared pixels as a share of the smaller outline, read inside the boxes' overlap."""
    ax, ay, aw, ah = a.bbox
    bx, by, bw, bh = b.bbox
    x0, y0 = max(ax, bx), max(ay, by)
    x1, y1 = min(ax + aw, bx + bw), min(ay + ah, by + bh)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    both = np.count_nonzero(a.mask[y0:y1, x0:x1] & b.mask[y0:y1, x0:x1])
    smaller = min(a.size_px, b.size_px) ** 2
    return float(both / smaller) if smaller > 0 else 0.0
