"""Steps 4 of the paper: k-means on the canal circles, the spine cluster, the canal track.

k-means (k=3, as in the paper) runs on the in-plane centres (x, y) of all circles, so a
pelvis gives a left hip, a spine and a right hip cluster. Cluster ids are ordered by mean
x (patient right to left), so with a pelvis the paper's "middle cluster" is id 1.

The paper keeps the middle cluster. That fails without hip bones (k-means then splits the
spine itself, or picks up rib/sternum noise) and with strong scoliosis (the spine leaves the
middle). Our rule scores every cluster by

    score = chain_mm * 1 / (1 + (midline_offset_mm / 40)^2)

- chain_mm (continuity along z and vertical extent): the number of slices (times the
  spacing) in the longest chain of the cluster's uncapped circles in which consecutive
  circles are at most `gap_max_mm` apart in z and move at most
  `min(step_base_mm + step_slope * dz, step_max_mm)` in-plane. Gaps are bridged but earn nothing, so a few
  marrow holes far apart (an osteoporotic vertebral body) cannot outscore a canal seen
  on many consecutive slices. The canal is a
  long, smooth tube; hip-bone and rib circles are short or jumpy.
- midline_offset_mm: median |x - body midline x| along that chain (the spine is close to
  the body's left-right centre; hips are >= 50 mm off it; 40 mm keeps a scoliotic apex
  at 30-40 mm competitive).

The best-scoring cluster is `spine_cluster`. Its chain is then grown up and down through the
uncapped circles of *every* cluster under the same continuity rule (k-means may have cut
one spine into several clusters), each slice keeps the circle nearest to the track, and
slices without a circle (discs, foramina) are bridged by linear interpolation along z;
beyond both ends the track stays constant.

The canal is the most posterior tube. In osteoporotic bodies the marrow is below 100 HU
and so free space too: each body slice then gives a large circle ~20-35 mm straight in
front of the canal, on more slices than the canal (seen at pedicle level only), and that
chain can win. So once the track stands, the uncapped circles 12-50 mm behind it and at
most 12 mm left/right of it are checked: if they hold a smooth chain of at least 3
circles and a fifth of the track's own, the track was running through the vertebral
bodies and is rebuilt from that chain (grown and bridged as above). Nothing enclosed by
bone lies behind the canal (lamina, spinous process, then muscle), so a real canal
track never moves; two isolated pockets (an interspinous gap) are not a chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.vq import kmeans2

from vertapp.preprocess.params import PreprocessParams

MIDLINE_SCALE_MM = 40.0
# the canal behind a chain of vertebral-body circles (module doc)
BEHIND_MM = (12.0, 50.0)  # in front of the canal: canal r + back wall + marrow circle r
BEHIND_DX_MM = 12.0  # canal and bodies share the midline
BEHIND_MIN_CIRCLES, BEHIND_SHARE = 5, 0.1


@dataclass
class TrackResult:
    cluster: np.ndarray  # (N,) int k-means id per circle
    on_track: np.ndarray  # (N,) bool
    spine_cluster: int  # -1 when no circle at all
    scores: list[float]  # per cluster id
    track_xy: np.ndarray  # (nz, 2) mm, bridged canal centre per slice
    detected: np.ndarray  # (nz,) bool: slice has an on-track circle


def kmeans_ids(xy: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels on (N, 2) points, ids renumbered by increasing mean x."""
    n = len(xy)
    if n == 0:
        return np.zeros(0, int)
    k = min(k, n, len(np.unique(xy, axis=0)))
    if k <= 1:
        return np.zeros(n, int)
    _, lab = kmeans2(xy.astype(float), k, minit="++", seed=seed)
    used = np.unique(lab)
    order = used[np.argsort([xy[lab == c, 0].mean() for c in used])]
    remap = np.zeros(lab.max() + 1, int)
    remap[order] = np.arange(len(order))
    return remap[lab]


def _step_ok(dz: np.ndarray, dist: np.ndarray, p: PreprocessParams) -> np.ndarray:
    tol = np.minimum(p.step_base_mm + p.step_slope * dz, p.step_max_mm)
    return (dz > 0) & (dz <= p.gap_max_mm) & (dist <= tol)


def longest_chain(pts: np.ndarray, p: PreprocessParams) -> np.ndarray:
    """Indices (into pts sorted by z) of the longest smooth chain; pts is (n, 3) z, x, y."""
    n = len(pts)
    if n == 0:
        return np.zeros(0, int)
    order = np.argsort(pts[:, 0], kind="stable")
    z, xy = pts[order, 0], pts[order, 1:]
    best = np.ones(n)  # circles in the best chain ending here
    prev = np.full(n, -1)
    lo = np.searchsorted(z, z - p.gap_max_mm, side="left")
    for i in range(n):
        js = np.arange(lo[i], i)
        if js.size == 0:
            continue
        dz = z[i] - z[js]
        dist = np.hypot(*(xy[i] - xy[js]).T)
        ok = _step_ok(dz, dist, p)
        if not ok.any():
            continue
        # count detected slices, not z span: a gap bridges but earns nothing
        gain = np.where(ok, best[js] + 1.0 - 0.05 * dist, -np.inf)
        j = int(np.argmax(gain))
        if gain[j] > best[i]:
            best[i], prev[i] = gain[j], js[j]
    chain = [int(np.argmax(best))]
    while prev[chain[-1]] >= 0:
        chain.append(int(prev[chain[-1]]))
    return order[np.array(chain[::-1])]


def _next(chain: list[int], at: int, pts: np.ndarray, p: PreprocessParams, up: bool) -> np.ndarray:
    """Circles one step beyond the chain's end, reachable from chain[at]."""
    sign = 1.0 if up else -1.0
    tip, start = pts[chain[-1] if up else chain[0]], pts[chain[at]]
    beyond = sign * (pts[:, 0] - tip[0]) > 0
    dz = sign * (pts[:, 0] - start[0])
    dist = np.hypot(pts[:, 1] - start[1], pts[:, 2] - start[2])
    return np.flatnonzero(beyond & _step_ok(dz, dist, p))


def _grow(chain: list[int], pts: np.ndarray, p: PreprocessParams, up: bool) -> list[int]:
    """Extend a chain (indices into pts, z ascending) beyond its end through any circle.

    An end that leads nowhere while the circle before it does was a side step (a pocket
    beside the canal, e.g. behind the lamina, that a long gap let into the chain): it is
    dropped, and the chain grows on from the circle before."""
    sign = 1.0 if up else -1.0
    end_at, before_at = (-1, -2) if up else (0, 1)
    dropped: set[int] = set()

    def nexts(at: int) -> np.ndarray:
        ok = _next(chain, at, pts, p, up)
        return ok[~np.isin(ok, list(dropped))]

    while True:
        ok = nexts(end_at)
        if ok.size == 0 and len(chain) >= 2 and nexts(before_at).size:
            dropped.add(chain[end_at])
            chain = chain[:-1] if up else chain[1:]
            ok = nexts(end_at)
        if ok.size == 0:
            return chain
        end = pts[chain[end_at]]
        dz = sign * (pts[ok, 0] - end[0])
        dist = np.hypot(pts[ok, 1] - end[1], pts[ok, 2] - end[2])
        nxt = int(ok[np.argmin(dist + 0.5 * dz)])
        chain = chain + [nxt] if up else [nxt] + chain


def _grown(chain: np.ndarray, free_idx: np.ndarray, pts: np.ndarray, p: PreprocessParams):
    """Global indices of a chain (indices into free_idx) grown up and down (`_grow`)."""
    grown = _grow(
        _grow([int(i) for i in chain], pts[free_idx], p, up=True), pts[free_idx], p, up=False
    )
    return free_idx[grown]


def _chain_behind(
    circles: np.ndarray, free: np.ndarray, track: np.ndarray, n_track: int, p: PreprocessParams
) -> np.ndarray:
    """Global indices of a smooth chain of circles straight behind the track, or empty
    (module doc: the track then runs through the vertebral bodies)."""
    k = circles[:, 0].astype(int)
    dx = circles[:, 2] - track[k, 0]
    dy = circles[:, 3] - track[k, 1]  # LPS y grows towards posterior
    cand = np.flatnonzero(
        free & (np.abs(dx) <= BEHIND_DX_MM) & (dy >= BEHIND_MM[0]) & (dy <= BEHIND_MM[1])
    )
    if cand.size < BEHIND_MIN_CIRCLES:
        return cand[:0]
    chain = cand[longest_chain(circles[cand, 1:4], p)]
    if len(chain) < max(BEHIND_MIN_CIRCLES, BEHIND_SHARE * n_track):
        return cand[:0]
    return chain


def _bridge(k_idx: np.ndarray, xy: np.ndarray, nz: int) -> np.ndarray:
    ks = np.arange(nz)
    order = np.argsort(k_idx)
    return np.column_stack([np.interp(ks, k_idx[order], xy[order, d]) for d in (0, 1)])


def fit_track(
    circles: np.ndarray, body_mid_x: np.ndarray, nz: int, p: PreprocessParams
) -> TrackResult:
    """circles: (N, 6) columns slice, z_mm, x_mm, y_mm, r_mm, capped."""
    n = len(circles)
    cluster = kmeans_ids(circles[:, 2:4], p.k_clusters) if n else np.zeros(0, int)
    free = circles[:, 5] == 0 if n else np.zeros(0, bool)
    pts = circles[:, 1:4]
    scores: list[float] = []
    chains: list[np.ndarray] = []
    for c in range(int(cluster.max()) + 1 if n else 0):
        idx = np.flatnonzero((cluster == c) & free)
        chain = idx[longest_chain(pts[idx], p)] if idx.size else idx
        chains.append(chain)
        if chain.size == 0:
            scores.append(0.0)
            continue
        length = len(chain) * p.spacing_mm  # mm of canal actually seen
        mid = body_mid_x[circles[chain, 0].astype(int)]
        off = float(np.nanmedian(np.abs(pts[chain, 1] - mid))) if np.isfinite(mid).any() else 0.0
        scores.append(length / (1.0 + (off / MIDLINE_SCALE_MM) ** 2))
    on_track = np.zeros(n, bool)
    if not scores or max(scores) <= 0:
        return TrackResult(
            cluster, on_track, -1, scores, np.full((nz, 2), np.nan), np.zeros(nz, bool)
        )
    spine = int(np.argmax(scores))
    free_idx = np.flatnonzero(free)
    local = {int(g): i for i, g in enumerate(free_idx)}
    sel = _grown(np.array([local[int(g)] for g in chains[spine]]), free_idx, pts, p)
    track = _bridge(circles[sel, 0], pts[sel, 1:3], nz)
    for _ in range(2):  # a canal behind the canal behind bodies is not anatomy: stop there
        behind = _chain_behind(circles, free, track, len(sel), p)
        if behind.size == 0:
            break
        sel = _grown(np.searchsorted(free_idx, behind), free_idx, pts, p)
        track = _bridge(circles[sel, 0], pts[sel, 1:3], nz)
    # each slice inside the track's span keeps its circle nearest to the bridged track
    k = circles[:, 0].astype(int)
    d = np.hypot(*(pts[:, 1:3] - track[k]).T)
    inside = (k >= circles[sel, 0].min()) & (k <= circles[sel, 0].max())
    near = np.flatnonzero(free & inside & (d <= p.step_base_mm + 2.0))
    near = near[np.lexsort((d[near], k[near]))]
    keep = near[np.r_[True, np.diff(k[near]) > 0]] if near.size else sel
    on_track[keep] = True
    track = _bridge(circles[keep, 0], pts[keep, 1:3], nz)
    detected = np.zeros(nz, bool)
    detected[k[keep]] = True
    return TrackResult(cluster, on_track, spine, scores, track, detected)
