"""Which vertebrae of a landmark row cannot be where they are said to be.

Public landmark sets hold rows whose corners are not a vertebra: on 17 of the 240 AASCE
films L5 is cut by the film's lower edge and its corners lie at the *top* of the film
(its y wrapped around) or half there, a quadrilateral as tall as the film. Imported as
they are, these teach a detector "L5" on the cervical spine and teach the level-context
net that L5 may sit above T1. The checks compare each vertebra with the rest of its own
row, so they hold at any film size and resolution:

- **size**: its height or width is over 3 times, or under a fifth of, the row's median
  (a sliver left where the film's edge cuts a body, or a quadrilateral spanning the
  film; a thin T1, 0.3-0.4 x the median on some AASCE films, is kept);
- **place**: its centre lies over 2.5 level gaps (the row's median gap between
  neighbouring levels, per level) from the nearest vertebra listed next to it, after the
  size check has removed what it found.

Top and bottom corners swapped (one AASCE L4) are no reason: the outline is the same.
A scoliotic spine passes: gaps and sizes are measured along the spine, not along the
image's rows. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

MAX_SIZE_RATIO, MIN_SIZE_RATIO = 3.0, 0.2  # height or width against the row's median
MAX_GAP_RATIO = 2.5  # distance to the nearest listed neighbour, in median level gaps


def implausible(corners: np.ndarray, levels: Sequence[str]) -> dict[int, str]:
    """{index: reason in words} of the vertebrae of one row not to import.

    `corners`: (n, 4, 2) pixel (x, y) in outline order TL, TR, BR, BL; `levels`: their
    names, top to bottom (the layout's order)."""
    q = np.asarray(corners, np.float64)
    if len(q) < 3:
        return {}  # too few to say what is usual
    top, bottom = q[:, :2].mean(axis=1), q[:, 2:].mean(axis=1)
    down = bottom - top
    heights = np.linalg.norm(down, axis=1)
    widths = (
        np.linalg.norm(q[:, 1] - q[:, 0], axis=1) + np.linalg.norm(q[:, 2] - q[:, 3], axis=1)
    ) / 2
    bad: dict[int, str] = {}
    for name, size in (("height", heights), ("width", widths)):
        usual = float(np.median(size))
        for i in np.flatnonzero((size > MAX_SIZE_RATIO * usual) | (size < MIN_SIZE_RATIO * usual)):
            ratio = size[i] / max(usual, 1e-9)
            bad.setdefault(int(i), f"its {name} is {ratio:.1f} x its film's median")
    bad.update(_misplaced((top + bottom) / 2, [i for i in range(len(q)) if i not in bad], levels))
    return dict(sorted(bad.items()))


def plausible_bodies(
    corners: np.ndarray, levels: Sequence[str], image_no: int, skipped: list[str]
) -> Iterator[tuple[str, np.ndarray]]:
    """(level, corners) of the row's vertebrae to import; the others named in `skipped`
    ("image 11 L5: it lies 14.8 level gaps from L4 (2.5 at most)"). Each caller heads the
    list with what it means ("Not imported: …", "skipped: …"): the entry ending in
    "; not imported" as well read "Not imported: … from L4; not imported"."""
    wrong = implausible(corners, levels)
    for k, (level, quad) in enumerate(zip(levels, corners, strict=True)):
        if k in wrong:  # e.g. L5 cut by the film's edge, its corners wrapped to the top
            skipped.append(f"image {image_no} {level}: {wrong[k]}")
        else:
            yield level, quad


def _misplaced(centres: np.ndarray, kept: list[int], levels: Sequence[str]) -> dict[int, str]:
    """Vertebrae among `kept` far from both listed neighbours (module docstring)."""
    if len(kept) < 3:
        return {}
    per_level = [
        np.linalg.norm(centres[b] - centres[a]) / (b - a)
        for a, b in zip(kept, kept[1:], strict=False)
    ]
    usual = float(np.median(per_level))
    out = {}
    for k, i in enumerate(kept):
        near = [kept[j] for j in (k - 1, k + 1) if 0 <= j < len(kept)]
        gaps = [
            np.linalg.norm(centres[i] - centres[j]) / abs(i - j) / max(usual, 1e-9) for j in near
        ]
        if min(gaps) > MAX_GAP_RATIO:
            j = near[int(np.argmin(gaps))]
            limit = f"{MAX_GAP_RATIO:g} at most"
            out[i] = f"it lies {min(gaps):.1f} level gaps from {levels[j]} ({limit})"
    return out
