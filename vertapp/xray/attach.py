"""Which vertebra a predicted part belongs to, by geometry against the predicted bodies.

A part (pedicle, spinous or transverse process) carries no level of its own: the
detector only says what it is. Its level is that of the body it hangs from. Along the
spine the bodies are stacked, so the level is decided by where the part's *root*
lies along the local spine axis:

- each body gives a local frame: its centroid, the spine direction there (from
  its neighbours' centroids, so scoliosis and tilt are followed) and its half
  height along that direction;
- the root of a part is the mean of its pixels nearest the spine axis (a spinous
  process may slope down past the next level, but it leaves its own vertebra
  from the arch of that level; a transverse process starts at its pedicle);
- the part goes to the body whose centre is nearest the root along the axis, in
  units of that body's half height, if that is at most `MAX_ALONG` half heights;
  otherwise its level stays "unknown" (a part of a vertebra whose body was missed
  is not given to a neighbour).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vertapp.xray.parts import UNKNOWN

MAX_ALONG = 1.6  # half heights: beyond, the root lies in a disc or a missed body
ROOT_FRACTION = 0.15  # share of a part's pixels nearest the spine axis taken as its root
MAX_PIXELS = 4000  # pixels sampled per mask (geometry needs no more)


@dataclass(frozen=True)
class BodyFrame:
    level: str
    center: np.ndarray  # (x, y)
    axis: np.ndarray  # unit vector down the spine
    normal: np.ndarray  # unit vector across it
    half_height: float


def _points(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    pts = np.stack([cols, rows], axis=1).astype(np.float64) + 0.5
    if len(pts) > MAX_PIXELS:  # an even subsample keeps the shape
        pts = pts[np.linspace(0, len(pts) - 1, MAX_PIXELS).astype(int)]
    return pts


def body_frames(masks: Sequence[np.ndarray], levels: Sequence[str]) -> list[BodyFrame]:
    """Local frames of the non-empty bodies, sorted top to bottom."""
    pts = [_points(m) for m in masks]
    items = sorted(
        ((p.mean(axis=0), p, lv) for p, lv in zip(pts, levels, strict=True) if len(p)),
        key=lambda t: t[0][1],
    )
    centers = [c for c, _, _ in items]
    frames = []
    for i, (c, p, lv) in enumerate(items):
        axis = _axis(centers, i)
        normal = np.array([-axis[1], axis[0]])
        along = (p - c) @ axis
        half = max(float(along.max() - along.min()) / 2.0, 1.0)
        frames.append(BodyFrame(lv, c, axis, normal, half))
    return frames


def _axis(centers: list[np.ndarray], i: int) -> np.ndarray:
    """Spine direction at body i (downwards), from its neighbours; vertical if it is alone."""
    lo, hi = max(i - 1, 0), min(i + 1, len(centers) - 1)
    d = centers[hi] - centers[lo] if hi > lo else np.array([0.0, 1.0])
    n = float(np.linalg.norm(d))
    return d / n if n > 0 else np.array([0.0, 1.0])


def part_root(mask: np.ndarray, frames: Sequence[BodyFrame]) -> np.ndarray | None:
    """Mean of the part's pixels nearest the spine axis; None for an empty mask."""
    pts = _points(mask)
    if not len(pts) or not frames:
        return None
    along = np.stack([np.abs((pts - f.center) @ f.axis) / f.half_height for f in frames], 1)
    across = np.stack([np.abs((pts - f.center) @ f.normal) for f in frames], 1)
    nearest = np.argmin(along, axis=1)  # the body whose band each pixel lies in
    dist = across[np.arange(len(pts)), nearest]
    k = max(1, int(np.ceil(ROOT_FRACTION * len(pts))))
    return pts[np.argsort(dist, kind="stable")[:k]].mean(axis=0)


def attach_parts(
    part_masks: Sequence[np.ndarray],
    body_masks: Sequence[np.ndarray],
    body_levels: Sequence[str],
) -> list[str]:
    """The level of each part (module docstring), or "unknown" where no body fits."""
    frames = body_frames(body_masks, body_levels)
    out = []
    for mask in part_masks:
        root = part_root(mask, frames)
        if root is None:
            out.append(UNKNOWN)
            continue
        along = [abs(float((root - f.center) @ f.axis)) / f.half_height for f in frames]
        best = int(np.argmin(along))
        out.append(frames[best].level if along[best] <= MAX_ALONG else UNKNOWN)
    return out
