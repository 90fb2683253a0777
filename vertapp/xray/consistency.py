"""A check across vertebrae after alignment: is each one where the others and the film say?

Each vertebra is aligned on its own, with its twin of the same level. A low-dose outline
drawn on the neighbour (or a whole film numbered a level off) is then matched as well as a
right one, scores as well and passes the outline check, since the match follows the outline.
Two things show it:

- **overlap**: two high-dose vertebrae mapped onto overlapping places of the low-dose film
  (their mapped masks overlap by more than OVERLAP_FRACTION of the smaller, beyond what
  they overlapped on the high-dose film) cannot both be right. Both are warned; the less
  likely one (the further from where the film's motion, or its neighbours, put it; the
  lower score on a tie) is `failed`, the other one `overlapped: L3 lands on it ...` (still
  fused). A vertebra placed by hand is never failed (the user put it there): the less
  likely one, it is warned and kept.
- **placement**: each vertebra's mapped centre against where the film's overall motion
  (`film_motion`: the two films registered from their image content) puts it, and against
  where its nearest neighbours' motions put it. More than LIMIT of its height from both
  is warned with the numbers; when most vertebrae are that far from the film's motion
  (while agreeing with each other: a whole film numbered a level off), every one of them
  is warned and the film-level warning asks whether both films are numbered alike. A
  patient who moved between the films moves the film's motion with the vertebrae: not
  warned. Without a film motion (a flat match) the neighbours alone decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from vertapp.labels import VERTEBRA_ID
from vertapp.xray.film_motion import heights
from vertapp.xray.similarity import apply_matrix
from vertapp.xray.zoi import Zoi

LIMIT = 0.5  # a mapped centre this share of the vertebra's height off -> warned
OVERLAP_FRACTION = 0.3  # mapped masks overlapping by this share of the smaller -> warned
NEIGHBOURS = 2  # nearest placed vertebrae on each side a vertebra is compared with
INCONSISTENT = "inconsistent placement"  # how every warning of this check starts
NUMBERED_ALIKE = "are both films numbered alike?"
OVERLAPPED = "overlapped"  # the likelier of two overlapping ones: warned, still fused


@dataclass
class Verdict:
    """Level -> new warnings, the levels to mark `failed`, and the film-level warnings."""

    warnings: dict[str, list[str]]
    failed: set[str]
    film: list[str]


def check_placements(
    vertebrae: Sequence[Placed],
    high_zois: Mapping[str, Zoi],
    motion: np.ndarray | None,
    shape: tuple[int, ...],
    tall: Mapping[str, float] | None = None,
) -> Verdict:
    """See the module doc. `vertebrae`: level, matrix, centre, score, status (before this
    check) of each; `motion`: the film's motion matrix (`film_motion`), None if unknown;
    `tall`: `film_motion.heights(high_zois)` where the caller keeps it (the pair view runs
    this check at every nudge, and the heights took half its time)."""
    live = [v for v in vertebrae if v.status != "failed"]
    out: dict[str, list[str]] = {v.level: [] for v in vertebrae}
    if not live:
        return Verdict(out, set(), [])
    tall = heights(high_zois) if tall is None else tall
    film_off = _off_film(live, motion, tall)
    local_off = _off_neighbours(live, tall)
    many = motion is not None and len(live) >= 2 and 2 * len(film_off) >= len(live)
    film: list[str] = []
    if many:
        ratios = [film_off[lv][1] for lv in film_off]
        dists = [film_off[lv][0] for lv in film_off]
        film.append(
            f"{len(film_off)} of {len(live)} vertebrae are placed a median "
            f"{np.median(dists):.0f} px ({np.median(ratios):.1f} of their height) from where "
            f"the film's motion puts them, though they agree with each other: "
            f"{NUMBERED_ALIKE} (they look a level apart)"
        )
    for v in live:
        if v.level in film_off and (many or v.level in local_off):
            d, r = film_off[v.level]
            out[v.level].append(
                f"{INCONSISTENT}: {d:.0f} px from where the film's motion puts it "
                f"({r:.1f} of its height): {NUMBERED_ALIKE}"
            )
        elif motion is None and v.level in local_off:
            d, r, names = local_off[v.level]
            out[v.level].append(
                f"{INCONSISTENT}: {d:.0f} px from where {names} put it ({r:.1f} of its height)"
            )
    failed = _overlaps(live, high_zois, shape, film_off, local_off, tall, out)
    return Verdict(out, failed, film)


class Placed(Protocol):
    """What the check reads of one vertebra's alignment (`align.VertebraAlignment`)."""

    level: str
    matrix: np.ndarray
    center: tuple[float, float]
    score: float
    status: str
    by_hand: bool


def _mapped(v: Placed) -> np.ndarray:
    return apply_matrix(v.matrix, np.array(v.center, float))[0]


def _off_film(
    live: Sequence[Placed], motion: np.ndarray | None, tall: Mapping[str, float]
) -> dict[str, tuple[float, float]]:
    """Level -> (px, share of its height) for those further than LIMIT from the film's
    motion."""
    if motion is None:
        return {}
    out = {}
    for v in live:
        d = float(np.hypot(*(_mapped(v) - apply_matrix(motion, np.array(v.center))[0])))
        if d > LIMIT * tall[v.level]:
            out[v.level] = (d, d / tall[v.level])
    return out


def _off_neighbours(
    live: Sequence[Placed], tall: Mapping[str, float]
) -> dict[str, tuple[float, float, str]]:
    """Level -> (px, share of its height, the neighbours' names) for those further than
    LIMIT from where every one of their nearest neighbours' motions puts them (one with no
    placed neighbour counts as off: nothing vouches for it)."""
    order = sorted(live, key=lambda v: VERTEBRA_ID.get(v.level, 99))
    out = {}
    for i, v in enumerate(order):
        near = order[max(i - NEIGHBOURS, 0) : i] + order[i + 1 : i + 1 + NEIGHBOURS]
        me = _mapped(v)
        dists = [
            float(np.hypot(*(apply_matrix(n.matrix, np.array(v.center))[0] - me))) for n in near
        ]
        d = min(dists) if dists else float("inf")
        if d > LIMIT * tall[v.level]:
            names = " and ".join(n.level for n in near) if near else "no neighbour"
            out[v.level] = (d, d / tall[v.level], f"{names}'s motions" if near else names)
    return out


def _overlaps(
    live: Sequence[Placed],
    zois: Mapping[str, Zoi],
    shape: tuple[int, ...],
    film_off: Mapping[str, tuple[float, float]],
    local_off: Mapping[str, tuple[float, float, str]],
    tall: Mapping[str, float],
    out: dict[str, list[str]],
) -> set[str]:
    """Warn pairs mapped onto overlapping places; the less likely of each pair fails."""
    placed = {v.level: _landing(zois[v.level], v.matrix, shape) for v in live}
    by_level = {v.level: v for v in live}

    def doubt(level: str) -> tuple[float, float]:
        if level in film_off:
            off = film_off[level][1]
        elif level in local_off and np.isfinite(local_off[level][1]):
            off = local_off[level][1]
        else:
            off = 0.0
        return off, -by_level[level].score

    failed: set[str] = set()
    levels = list(placed)
    for i, a in enumerate(levels):
        for b in levels[i + 1 :]:
            share = _shared(placed[a], placed[b])
            if share <= OVERLAP_FRACTION:  # most pairs: what they shared before is not needed
                continue
            share -= _shared(_own(zois[a]), _own(zois[b]))
            if share <= OVERLAP_FRACTION:
                continue
            loser, winner = (a, b) if doubt(a) > doubt(b) else (b, a)
            pct = f"{100 * share:.0f} % of the smaller"
            kept = by_level[loser].by_hand  # the user's call: warned, never failed
            out[loser].append(
                f"{INCONSISTENT}: lands where {winner} lands on the low-dose image "
                f"({pct} overlap), and {winner} fits the film better: "
                + ("kept, as placed by hand" if kept else "not aligned")
            )
            out[winner].append(
                f"{OVERLAPPED}: {loser} lands on it on the low-dose image ({pct} overlap)"
            )
            if not kept:
                failed.add(loser)
    return failed


Mask = tuple[tuple[int, int], np.ndarray]  # (x0, y0) of a bool mask on the full image


def _own(zoi: Zoi) -> Mask:
    x, y, _, _ = zoi.bbox
    return (x, y), zoi.patch(zoi.mask)


def _landing(zoi: Zoi, matrix: np.ndarray, shape: tuple[int, ...]) -> Mask:
    """The ZOI's mask where `matrix` puts it, in the box it lands in (inside the image);
    the last one is kept with the ZOI (a nudge re-checks all, moves one: 2 ms saved)."""
    key = (np.asarray(matrix, np.float64).tobytes(), tuple(shape))
    last = zoi.memo.get("landing")
    if last is not None and last[0] == key:
        return last[1]
    mask = _warped_mask(zoi, matrix, shape)
    zoi.memo["landing"] = (key, mask)
    return mask


def _warped_mask(zoi: Zoi, matrix: np.ndarray, shape: tuple[int, ...]) -> Mask:
    x, y, w, h = zoi.bbox
    pts = apply_matrix(matrix, np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], float))
    x0, y0 = max(int(np.floor(pts[:, 0].min())), 0), max(int(np.floor(pts[:, 1].min())), 0)
    x1 = min(int(np.ceil(pts[:, 0].max())) + 1, int(shape[1]))
    y1 = min(int(np.ceil(pts[:, 1].max())) + 1, int(shape[0]))
    if x1 <= x0 or y1 <= y0:
        return (x0, y0), np.zeros((0, 0), bool)
    m = np.asarray(matrix, np.float64).copy()
    m[:, 2] += m[:, :2] @ np.array([x, y], float) - np.array([x0, y0], float)
    patch = zoi.patch(zoi.mask).astype(np.uint8)
    warped = cv2.warpAffine(patch, m, (x1 - x0, y1 - y0), flags=cv2.INTER_NEAREST)
    return (x0, y0), warped > 0


def _shared(a: Mask, b: Mask) -> float:
    """|A and B| / the smaller of |A|, |B|."""
    (ax, ay), am = a
    (bx, by), bm = b
    x0, y0 = max(ax, bx), max(ay, by)
    x1, y1 = min(ax + am.shape[1], bx + bm.shape[1]), min(ay + am.shape[0], by + bm.shape[0])
    if x1 <= x0 or y1 <= y0:  # apart: no need to count (most pairs)
        return 0.0
    na, nb = int(np.count_nonzero(am)), int(np.count_nonzero(bm))
    if na == 0 or nb == 0:
        return 0.0
    both = am[y0 - ay : y1 - ay, x0 - ax : x1 - ax] & bm[y0 - by : y1 - by, x0 - bx : x1 - bx]
    return float(np.count_nonzero(both)) / min(na, nb)
