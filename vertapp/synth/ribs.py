"""Ribs of T1..T12: head on the body near its upper endplate, tubercle at the transverse
process tip, then a shaft curving around the chest wall while it descends.

Each rib is a tube around a sampled centreline, rasterised in its own bounding box with a
Euclidean distance transform (exact voxel spacing), with a cortical shell. Ribs descend
as they run forward, so an axial slice cuts them into separate short arcs and they never
close a ring around the canal or the chest.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from vertapp.synth.anatomy import Anatomy, VertebraGeometry
from vertapp.synth.grid import Grid
from vertapp.synth.soft_tissue import trunk_params
from vertapp.synth.vertebra import Canvas, transverse_tip

RIB_CORTEX_HU, RIB_MARROW_HU = 700.0, 230.0


def rib_centreline(anatomy: Anatomy, g: VertebraGeometry, side: int) -> np.ndarray:
    """(N, 3) LPS points, ~1 mm apart, from the rib head to its anterior end."""
    i = g.index
    head = g.to_world([side * g.width * 0.42, 0.15 * g.depth, 0.5 * g.height])
    tub = transverse_tip(g, side) - g.frame[:, 1] * 3.0
    p = {k: float(val[0]) for k, val in trunk_params(np.array([tub[2]]), anatomy).items()}
    rx, ry = p["ax"] - 20.0, p["ay"] - 18.0
    # the shaft starts at the rib angle, ~15 mm lateral to the tubercle on the chest ellipse
    sin0 = np.clip(abs(tub[0] + side * 15.0 - p["xc"]) / rx, 0.05, 0.95)
    phi0 = np.arcsin(sin0)
    span = {10: 0.55, 11: 0.35}.get(i, 1.9 - 0.04 * i)  # floating ribs are short
    if i == 0:
        span = 1.6
    phi = np.linspace(phi0, min(phi0 + span, 2.7), 200)
    drop = {0: 15.0, 1: 25.0}.get(i, 40.0 if i < 10 else 20.0)
    frac = (phi - phi0) / max(phi[-1] - phi0, 1e-6)
    shaft = np.stack(
        [p["xc"] + side * rx * np.sin(phi), p["yc"] + ry * np.cos(phi), tub[2] - drop * frac**1.3],
        axis=1,
    )
    neck = np.linspace(head, tub, 20)
    to_angle = np.linspace(tub, shaft[0], 10)
    pts = np.concatenate([neck, to_angle, shaft])
    # resample to ~1 mm steps
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    n = max(int(s[-1]), 2)
    si = np.linspace(0, s[-1], n)
    return np.stack([np.interp(si, s, pts[:, k]) for k in range(3)], axis=1)


def paint_rib(canvas: Canvas, anatomy: Anatomy, g: VertebraGeometry, side: int) -> None:
    grid: Grid = canvas.grid
    pts = rib_centreline(anatomy, g, side)
    radius = 5.0 if g.index < 2 else 4.5
    box = grid.box(pts.min(axis=0) - radius - 2, pts.max(axis=0) + radius + 2)
    if box is None:
        return
    origin = np.array([grid.axis(k)[box[2 - k].start] for k in range(3)])
    sp = np.array(grid.spacing)
    shape = tuple(s.stop - s.start for s in box)
    idx = np.rint((pts - origin) / sp).astype(int)  # x, y, z indices in the box
    ok = np.all((idx >= 0) & (idx < np.array(shape[::-1])), axis=1)
    if not ok.any():
        return
    line = np.ones(shape, dtype=bool)
    line[idx[ok, 2], idx[ok, 1], idx[ok, 0]] = False
    dist = ndimage.distance_transform_edt(line, sampling=(sp[2], sp[1], sp[0]))
    outer = dist <= radius
    inner = dist <= radius - canvas.cortical_mm
    hu = canvas.hu[box]
    free = canvas.vertebra[box] == 0  # ribs never overwrite a vertebra
    hu[outer & free] = RIB_CORTEX_HU
    hu[inner & free] = RIB_MARROW_HU
