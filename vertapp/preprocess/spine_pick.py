"""Which smooth chain of canal circles is the spine (step 5 of the paper, our rule).

The candidates are smooth chains of circles (`track.longest_chain`, grown through every
circle by `track._grow`), taken from all circles at once and from each k-means cluster. A
chain is scored by what sets the canal apart from everything else enclosed by bone:

    score = sqrt(seen_mm * span_mm) / (1 + (midline_offset_mm / 80)^2) * (0.25 if hip pair)

- seen_mm: circles in the chain times the slice spacing (canal actually seen);
  span_mm: its extent along z. The canal is a long tube that runs the whole height of the
  scan; the marrow of a hip bone gives dense chains, but only over the pelvis (~100 mm),
  so a spine seen on 44 slices over 200 mm (TotalSegmentator example tilted 10 degrees
  sideways) beats a hip seen on 80 slices over 100 mm. The geometric mean keeps a few
  holes far apart (short seen_mm) and a dense pocket (short span) both low.
- midline_offset_mm: median left-right distance from the body's centre of mass. Only a
  weak tie-breaker (80 mm scale: a chain 30 mm off keeps 88 %): a patient lying 100 mm
  off-centre with one side cut off by the field of view moves the body's centre onto a
  hip bone.
- hip pair: the hip bones' marrow comes in left-right pairs. A chain with another chain
  overlapping it along z (>= 30 % of the shorter one), at the same depth (median front-to-
  back distance <= 30 mm) and 50-300 mm to one side, is a hip, unless it also has such a
  partner on the other side: then it is the middle of three, the spine between the hips
  (the paper's middle cluster). A spine whose one neighbour is a lone hip (the other cut
  off) pairs with it and both lose the same factor, so length decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIDLINE_SCALE_MM = 80.0
HIP_FACTOR = 0.25
PAIR_OVERLAP, PAIR_MIN_OVERLAP_MM = 0.3, 10.0
PAIR_DX_MM = (50.0, 300.0)  # iliac marrow to iliac marrow (or to the canal): >= ~60 mm
PAIR_DY_MM = 30.0


@dataclass
class Candidate:
    idx: np.ndarray  # global circle indices, z ascending
    seen_mm: float
    span_mm: float
    offset_mm: float
    hip: bool = False

    @property
    def score(self) -> float:
        base = np.sqrt(self.seen_mm * max(self.span_mm, 1.0))
        base /= 1.0 + (self.offset_mm / MIDLINE_SCALE_MM) ** 2
        return float(base * (HIP_FACTOR if self.hip else 1.0))


def candidate(
    idx: np.ndarray, pts: np.ndarray, slices: np.ndarray, body_mid_x: np.ndarray, spacing: float
) -> Candidate:
    """Features of one chain; pts (N, 3) z, x, y of all circles, slices their slice index."""
    z = pts[idx, 0]
    mid = body_mid_x[slices[idx]]
    ok = np.isfinite(mid)
    off = float(np.median(np.abs(pts[idx, 1][ok] - mid[ok]))) if ok.any() else 0.0
    return Candidate(idx, len(idx) * spacing, float(z.max() - z.min()), off)


def _side(a: Candidate, b: Candidate, pts: np.ndarray) -> int:
    """+1 / -1: b is a hip-pair partner of a to its left / right (larger / smaller x), else 0."""
    za, zb = pts[a.idx, 0], pts[b.idx, 0]
    lo, hi = max(za.min(), zb.min()), min(za.max(), zb.max())
    overlap = hi - lo
    if overlap < max(PAIR_MIN_OVERLAP_MM, PAIR_OVERLAP * min(a.span_mm, b.span_mm)):
        return 0
    zs = np.linspace(lo, hi, 16)
    dx = np.interp(zs, zb, pts[b.idx, 1]) - np.interp(zs, za, pts[a.idx, 1])
    dy = np.interp(zs, zb, pts[b.idx, 2]) - np.interp(zs, za, pts[a.idx, 2])
    mdx = float(np.median(dx))
    if not PAIR_DX_MM[0] <= abs(mdx) <= PAIR_DX_MM[1] or np.median(np.abs(dy)) > PAIR_DY_MM:
        return 0
    return 1 if mdx > 0 else -1


def mark_hips(cands: list[Candidate], pts: np.ndarray) -> None:
    """Set `hip` on every candidate with a partner on one side only (module doc)."""
    for a in cands:
        sides = {_side(a, b, pts) for b in cands if b is not a} - {0}
        a.hip = len(sides) == 1


def pick(cands: list[Candidate], pts: np.ndarray) -> int:
    """Index of the best candidate (hips marked first); -1 when there is none."""
    if not cands:
        return -1
    mark_hips(cands, pts)
    return int(np.argmax([c.score for c in cands]))


__all__ = ["Candidate", "candidate", "mark_hips", "pick"]
