"""Steps 4 of the paper: k-means on the canal circles, the spine cluster, the canal track.

k-means (k=3, as in the paper) runs on the in-plane centres (x, y) of all circles, so a
pelvis gives a left hip, a spine and a right hip cluster. Cluster ids are ordered by mean
x (patient right to left), so with a pelvis the paper's "middle cluster" is id 1.

The paper keeps the middle cluster. That fails without hip bones (k-means then splits the
spine itself, or picks up rib/sternum noise), with strong scoliosis (the spine leaves the
middle), with a patient turned sideways (k-means joins the spine and one hip) and with a
patient off-centre. So the candidates are smooth chains over *all* circles: the longest
one (`longest_chain`: consecutive circles at most `gap_max_mm` apart in z, moving at
most `min(step_base_mm + step_slope * dz, step_max_mm)` in-plane, the slope tan(30 deg)
so that a tilted patient's steadily moving canal is followed), then the longest of what is
left, `CANDIDATES` times, and the longest of each k-means cluster; each is grown up and
down through every circle. `spine_pick` scores them: length along z and circles seen
(geometric mean), a weak midline term, and hip-bone marrow recognised as left-right pairs.
Gaps are bridged but earn nothing, so a few marrow holes far apart (an osteoporotic
vertebral body) cannot outscore a canal seen on many consecutive slices.

The best candidate's grown chain is the track: each slice keeps the circle nearest to it,
and slices without a circle (discs, foramina) are bridged by linear interpolation along z;
beyond both ends the track stays constant. `spine_cluster` is the k-means id holding most
of its circles, `scores` the best candidate score per cluster.

The canal is the most posterior tube. In osteoporotic bodies the marrow is below 100 HU
and so free space too: each body slice then gives a large circle ~20-35 mm straight in
front of the canal, on more slices than the canal (seen at pedicle level only), and that
chain can win. So once the track stands, the uncapped circles 12-50 mm behind it and at
most 12 mm left/right of it, on the slices between its first and last circle (beyond them
the track is only held constant: a tilted patient's sacrum lies behind that), are checked:
if they hold a smooth chain of at least 5 circles and a tenth of the track's own, the
track was running through the vertebral bodies and is rebuilt from that chain (grown and
bridged as above). Where the old track runs on for more than `gap_max_mm` beyond an end
of that chain, with at least 5 circles, that part is kept (`_beyond`): the tube behind was
seen over part of the spine only. Nothing enclosed by
bone lies behind the canal (lamina, spinous process, then muscle), so a real canal
track never moves; two isolated pockets (an interspinous gap) are not a chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.vq import kmeans2

from vertapp.preprocess import spine_pick
from vertapp.preprocess.params import PreprocessParams

# the canal behind a chain of vertebral-body circles (module doc)
BEHIND_MM = (12.0, 50.0)  # in front of the canal: canal r + back wall + marrow circle r
BEHIND_DX_MM = 12.0  # canal and bodies share the midline
BEHIND_MIN_CIRCLES, BEHIND_SHARE = 5, 0.1
CANDIDATES, MIN_CHAIN = 10, 3  # chains taken from all circles in turn; shorter ones are noise


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
    """Indices (into pts sorted by z) of the longest smooth chain; pts is (n, 3) z, x, y.

    Dynamic programming over the circles in z order, one slice (all its circles at once)
    per step: circles on one slice cannot link to each other (dz > 0)."""
    n = len(pts)
    if n == 0:
        return np.zeros(0, int)
    order = np.argsort(pts[:, 0], kind="stable")
    z, xy = pts[order, 0], pts[order, 1:]
    best = np.ones(n)  # circles in the best chain ending here
    prev = np.full(n, -1)
    lo = np.searchsorted(z, z - p.gap_max_mm, side="left")
    starts = np.flatnonzero(np.r_[True, np.diff(z) > 0])
    for a, b in zip(starts, np.r_[starts[1:], n], strict=True):
        if lo[a] == a:
            continue
        js = np.arange(lo[a], a)
        dz = z[a] - z[js]
        dist = np.hypot(xy[a:b, None, 0] - xy[None, js, 0], xy[a:b, None, 1] - xy[None, js, 1])
        ok = _step_ok(dz[None, :], dist, p)
        # count detected slices, not z span: a gap bridges but earns nothing
        gain = np.where(ok, best[js][None, :] + 1.0 - 0.05 * dist, -np.inf)
        j = np.argmax(gain, axis=1)
        g = gain[np.arange(b - a), j]
        better = g > best[a:b]
        best[a:b] = np.where(better, g, best[a:b])
        prev[a:b] = np.where(better, js[j], prev[a:b])
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
    circles: np.ndarray, free: np.ndarray, track: np.ndarray, sel: np.ndarray, p: PreprocessParams
) -> np.ndarray:
    """Global indices of a smooth chain of circles straight behind the track, within the
    slices it was measured on, or empty (module doc: the track then runs through the
    vertebral bodies). Beyond the track's ends it is held constant, so a canal that runs
    on backwards there (a tilted patient's sacrum) is not behind it."""
    k = circles[:, 0].astype(int)
    n_track = len(sel)
    k_sel = k[sel]
    dx = circles[:, 2] - track[k, 0]
    dy = circles[:, 3] - track[k, 1]  # LPS y grows towards posterior
    cand = np.flatnonzero(
        free
        & (np.abs(dx) <= BEHIND_DX_MM)
        & (dy >= BEHIND_MM[0])
        & (dy <= BEHIND_MM[1])
        & (k >= k_sel.min())
        & (k <= k_sel.max())
    )
    if cand.size < BEHIND_MIN_CIRCLES:
        return cand[:0]
    chain = cand[longest_chain(circles[cand, 1:4], p)]
    if len(chain) < max(BEHIND_MIN_CIRCLES, BEHIND_SHARE * n_track):
        return cand[:0]
    return chain


def _beyond(sel: np.ndarray, rebuilt: np.ndarray, pts: np.ndarray, p: PreprocessParams):
    """The circles of the old track that run on beyond an end of the tube found behind it
    for more than the canal can go unseen (`gap_max_mm`), with at least
    `BEHIND_MIN_CIRCLES` there: spine the tube behind did not reach (a canal seen only at
    the top of a tilted scan), kept; shorter ends are dropped with the rest."""
    z, zr = pts[sel, 0], pts[rebuilt, 0]
    parts = []
    for part, end in ((z < zr.min(), zr.min()), (z > zr.max(), zr.max())):
        far = np.abs(z[part] - end).max() if part.any() else 0.0
        if part.sum() >= BEHIND_MIN_CIRCLES and far > p.gap_max_mm:
            parts.append(sel[part])
    return np.concatenate(parts) if parts else sel[:0]


def _bridge(k_idx: np.ndarray, xy: np.ndarray, nz: int) -> np.ndarray:
    ks = np.arange(nz)
    order = np.argsort(k_idx)
    return np.column_stack([np.interp(ks, k_idx[order], xy[order, d]) for d in (0, 1)])


def _candidates(
    circles: np.ndarray,
    cluster: np.ndarray,
    free: np.ndarray,
    body_mid_x: np.ndarray,
    p: PreprocessParams,
) -> list[spine_pick.Candidate]:
    """Smooth chains, grown through every circle: the longest over all circles, then the
    longest of what is left (`CANDIDATES` times), and the longest of each k-means cluster."""
    pts = circles[:, 1:4]
    slices = circles[:, 0].astype(int)
    free_idx = np.flatnonzero(free)
    seeds: list[np.ndarray] = []
    left = free_idx
    while left.size >= MIN_CHAIN and len(seeds) < CANDIDATES:
        chain = left[longest_chain(pts[left], p)]
        if chain.size < MIN_CHAIN:
            break
        seeds.append(chain)
        left = left[~np.isin(left, chain)]
    for c in range(int(cluster.max()) + 1):
        idx = np.flatnonzero((cluster == c) & free)
        if idx.size:
            seeds.append(idx[longest_chain(pts[idx], p)])
    out: list[spine_pick.Candidate] = []
    seen: set[bytes] = set()
    for chain in seeds:
        grown = _grown(np.searchsorted(free_idx, chain), free_idx, pts, p)
        key = grown.tobytes()
        if key not in seen:
            seen.add(key)
            out.append(spine_pick.candidate(grown, pts, slices, body_mid_x, p.spacing_mm))
    return out


def fit_track(
    circles: np.ndarray, body_mid_x: np.ndarray, nz: int, p: PreprocessParams
) -> TrackResult:
    """circles: (N, 6) columns slice, z_mm, x_mm, y_mm, r_mm, capped."""
    n = len(circles)
    cluster = kmeans_ids(circles[:, 2:4], p.k_clusters) if n else np.zeros(0, int)
    free = circles[:, 5] == 0 if n else np.zeros(0, bool)
    pts = circles[:, 1:4]
    on_track = np.zeros(n, bool)
    cands = _candidates(circles, cluster, free, body_mid_x, p) if free.any() else []
    best = spine_pick.pick(cands, pts)
    if best < 0:
        n_clusters = int(cluster.max()) + 1 if n else 0
        return TrackResult(
            cluster,
            on_track,
            -1,
            [0.0] * n_clusters,
            np.full((nz, 2), np.nan),
            np.zeros(nz, bool),
        )
    # per k-means cluster: the best score of the chains that lie mostly in it
    scores = [0.0] * (int(cluster.max()) + 1)
    for c in cands:
        major = int(np.bincount(cluster[c.idx]).argmax())
        scores[major] = max(scores[major], c.score)
    sel = cands[best].idx
    spine = int(np.bincount(cluster[sel]).argmax())
    free_idx = np.flatnonzero(free)
    track = _bridge(circles[sel, 0], pts[sel, 1:3], nz)
    for _ in range(2):  # a canal behind the canal behind bodies is not anatomy: stop there
        behind = _chain_behind(circles, free, track, sel, p)
        if behind.size == 0:
            break
        rebuilt = _grown(np.searchsorted(free_idx, behind), free_idx, pts, p)
        sel = np.union1d(rebuilt, _beyond(sel, rebuilt, pts, p))
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
