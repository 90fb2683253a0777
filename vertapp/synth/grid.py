"""The voxel grid of a phantom and vectorised helpers to evaluate shapes on boxes of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    origin: tuple[float, float, float]  # LPS mm of voxel [0, 0, 0] (x, y, z)
    spacing: tuple[float, float, float]  # x, y, z mm
    shape: tuple[int, int, int]  # z, y, x

    def axis(self, k: int) -> np.ndarray:
        """World coordinates along axis k (0 = x, 1 = y, 2 = z)."""
        n = self.shape[2 - k]
        return self.origin[k] + self.spacing[k] * np.arange(n)

    def box(self, lo: np.ndarray, hi: np.ndarray) -> tuple[slice, slice, slice] | None:
        """Index slices (z, y, x) covering the world AABB [lo, hi] (x, y, z), or None if empty."""
        out = []
        for k in (2, 1, 0):
            n = self.shape[2 - k]
            a = int(np.floor((lo[k] - self.origin[k]) / self.spacing[k]))
            b = int(np.ceil((hi[k] - self.origin[k]) / self.spacing[k])) + 1
            a, b = max(a, 0), min(b, n)
            if a >= b:
                return None
            out.append(slice(a, b))
        return out[0], out[1], out[2]

    def coords(self, box: tuple[slice, slice, slice]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Broadcastable world x (1,1,nx), y (1,ny,1), z (nz,1,1) of a box."""
        zs, ys, xs = box
        x = self.axis(0)[xs].reshape(1, 1, -1)
        y = self.axis(1)[ys].reshape(1, -1, 1)
        z = self.axis(2)[zs].reshape(-1, 1, 1)
        return x, y, z


def local_coords(
    grid: Grid, box: tuple[slice, slice, slice], center: np.ndarray, frame: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local (u, v, w) of every voxel in `box` for a frame with columns u, v, w."""
    x, y, z = grid.coords(box)
    dx, dy, dz = (
        (x - center[0]).astype(np.float32),
        (y - center[1]).astype(np.float32),
        (z - center[2]).astype(np.float32),
    )
    f = frame.astype(np.float32)
    u = dx * f[0, 0] + dy * f[1, 0] + dz * f[2, 0]
    v = dx * f[0, 1] + dy * f[1, 1] + dz * f[2, 1]
    w = dx * f[0, 2] + dy * f[1, 2] + dz * f[2, 2]
    return u, v, w


def world_aabb(center: np.ndarray, frame: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """World AABB of the local box [lo, hi] (u, v, w)."""
    corners = np.array(
        [[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1]) for c in (lo[2], hi[2])]
    )
    pts = center + corners @ frame.T
    return pts.min(axis=0), pts.max(axis=0)


def bar(
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    start: np.ndarray,
    direction: np.ndarray,
    length: float,
    half_a: float,
    half_b: float,
    taper: float = 0.0,
    shell: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A straight bar of elliptical cross-section from `start` along `direction` (local
    coordinates). `half_a` is the semi-axis along the lateral-ish normal, `half_b` along the
    other one; the section shrinks by `taper` (fraction) towards the tip and the tip is rounded.
    Returns (outer, inner) masks, inner being `shell` mm inside the outer surface."""
    d = np.asarray(direction, dtype=float)
    d /= np.linalg.norm(d)
    ref = np.array([0.0, 0.0, 1.0]) if abs(d[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    n1 = np.cross(ref, d)
    n1 /= np.linalg.norm(n1)
    n2 = np.cross(d, n1)
    pu, pv, pw = u - start[0], v - start[1], w - start[2]
    s = pu * d[0] + pv * d[1] + pw * d[2]
    a = pu * n1[0] + pv * n1[1] + pw * n1[2]
    b = pu * n2[0] + pv * n2[1] + pw * n2[2]
    frac = np.clip(s / max(length, 1e-6), 0.0, 1.0)
    scale = 1.0 - taper * frac
    ha, hb = half_a * scale, half_b * scale
    # rounded tip: beyond the length the section closes like an ellipsoid cap
    cap = np.clip((s - length) / np.maximum(ha, 1e-3), 0.0, None)
    r2 = (a / ha) ** 2 + (b / hb) ** 2 + cap**2
    outer = (s >= 0) & (r2 <= 1.0)
    if shell <= 0:
        return outer, np.zeros_like(outer)
    ia, ib = np.maximum(ha - shell, 0.1), np.maximum(hb - shell, 0.1)
    capi = np.clip((s - length + shell) / ia, 0.0, None)
    inner = (s >= shell) & ((a / ia) ** 2 + (b / ib) ** 2 + capi**2 <= 1.0)
    return outer, inner


def bar_extent(start, direction, length: float, half_a: float, half_b: float):
    """Local AABB (lo, hi) of a `bar` (with its rounded tip)."""
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    pad = max(half_a, half_b) * 1.2 + 1.0
    end = np.asarray(start, dtype=float) + d * (length + pad)
    return np.minimum(start, end) - pad, np.maximum(start, end) + pad


def sub_box(
    grid: Grid, outer: tuple[slice, slice, slice], center: np.ndarray, frame: np.ndarray, lo, hi
) -> tuple[slice, slice, slice] | None:
    """Slices, relative to box `outer`, covering the local AABB [lo, hi] of a frame."""
    inner = grid.box(*world_aabb(center, frame, np.asarray(lo), np.asarray(hi)))
    if inner is None:
        return None
    rel = []
    for a, b in zip(inner, outer, strict=True):
        start, stop = max(a.start, b.start) - b.start, min(a.stop, b.stop) - b.start
        if start >= stop:
            return None
        rel.append(slice(start, stop))
    return rel[0], rel[1], rel[2]
