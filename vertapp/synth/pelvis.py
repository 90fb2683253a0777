"""Sacrum (S1..S3 with alae) and iliac wings beside L4/L5.

Each iliac wing is, slice by slice, a thin plate running from a thick posterior mass near
the sacro-iliac joint forwards and outwards to the anterior superior iliac spine. Both
parts have a cortical shell around fatty marrow (< 100 HU), so in the bone window the
posterior mass shows a round bone-enclosed hole of radius ~10 mm on every pelvic slice:
the two "hip" clusters of the CT paper's k-means step.
"""

from __future__ import annotations

import numpy as np

from vertapp.synth.anatomy import Anatomy, VertebraGeometry
from vertapp.synth.grid import bar, local_coords, world_aabb
from vertapp.synth.vertebra import Canvas, paint_disc, paint_vertebra

ILIUM_CORTEX_HU, ILIUM_MARROW_HU = 780.0, 35.0
MASS_HALF_ALONG, MASS_HALF_ACROSS = 17.0, 13.0


def ilium_geometry(anatomy: Anatomy, side: int) -> dict[str, float]:
    """Top/bottom z and the posterior-mass / anterior-spine positions at the top and bottom."""
    l4, l5 = anatomy.vertebrae[15], anatomy.vertebrae[16]
    s = anatomy.trunk_scale
    x0, y0 = l5.center[0], l5.center[1]
    return {
        # the crest at the L4/L5 disc (Tuffier's line); its marrow starts lower, by L5's
        # centre, as on the real CTs here (vertapp.preprocess.landmarks)
        "z_top": (l4.center[2] + l5.center[2]) / 2,
        "z_bottom": l5.center[2] - 110.0,
        "post_x_top": x0 + side * 52.0 * s,
        "post_x_bottom": x0 + side * 44.0 * s,
        "post_y_top": y0 + 40.0,
        "post_y_bottom": y0 + 28.0,
        "ant_x_top": x0 + side * 118.0 * s,
        "ant_x_bottom": x0 + side * 95.0 * s,
        "ant_y_top": y0 - 35.0,
        "ant_y_bottom": y0 - 50.0,
    }


def paint_ilium(canvas: Canvas, anatomy: Anatomy, side: int) -> None:
    grid = canvas.grid
    p = ilium_geometry(anatomy, side)
    lo = np.array(
        [min(p["post_x_top"], p["ant_x_top"]) - 25, p["ant_y_bottom"] - 20, p["z_bottom"]]
    )
    hi = np.array([max(p["post_x_top"], p["ant_x_top"]) + 25, p["post_y_top"] + 25, p["z_top"]])
    lo[0], hi[0] = min(lo[0], p["post_x_bottom"] - 25), max(hi[0], p["post_x_bottom"] + 25)
    box = grid.box(lo, hi)
    if box is None:
        return
    x, y, z = grid.coords(box)
    t = np.clip((p["z_top"] - z) / (p["z_top"] - p["z_bottom"]), 0.0, 1.0)
    crest = np.sqrt(np.clip(t / 0.12, 0.05, 1.0))  # rounded iliac crest at the top

    def lerp(key: str) -> np.ndarray:
        return p[key + "_top"] + (p[key + "_bottom"] - p[key + "_top"]) * t

    px, py = lerp("post_x"), lerp("post_y")
    ax, ay = lerp("ant_x"), lerp("ant_y")
    dx, dy = ax - px, ay - py
    length = np.hypot(dx, dy)
    ex, ey = dx / length, dy / length
    rx, ry = x - px, y - py
    along = rx * ex + ry * ey
    across = -rx * ey + ry * ex
    lam = np.clip(along, 0.0, length * crest)
    plate_d = np.hypot(rx - lam * ex, ry - lam * ey)
    half = 4.5 + 2.0 * t
    tc = canvas.cortical_mm
    mass_a, mass_b = MASS_HALF_ALONG * crest, MASS_HALF_ACROSS * crest
    mass = (along / mass_a) ** 2 + (across / mass_b) ** 2
    mass_in = (along / (mass_a - tc)) ** 2 + (across / (mass_b - tc)) ** 2
    outer = (plate_d <= half) | (mass <= 1.0)
    inner = (plate_d <= half - tc) | (mass_in <= 1.0)
    hu = canvas.hu[box]
    hu[outer] = ILIUM_CORTEX_HU
    hu[inner] = ILIUM_MARROW_HU


def paint_sacrum(canvas: Canvas, anatomy: Anatomy, above: VertebraGeometry | None = None) -> None:
    """The sacrum and the disc above it (below L5, or below `above`: a transitional L6)."""
    segs = anatomy.sacrum
    paint_disc(canvas, above or anatomy.vertebrae[-1], segs[0])
    for seg in segs:
        paint_vertebra(canvas, seg, 0, sacral=True)
    _paint_alae(canvas, anatomy)


def _paint_alae(canvas: Canvas, anatomy: Anatomy) -> None:
    """Sacral alae: wings of S1/S2 reaching out to the sacro-iliac joints (2 mm gap)."""
    for seg in anatomy.sacrum[:2]:
        for side in (-1, 1):
            p = ilium_geometry(anatomy, side)
            t = np.clip((p["z_top"] - seg.center[2]) / (p["z_top"] - p["z_bottom"]), 0.0, 1.0)
            post_x = p["post_x_top"] + (p["post_x_bottom"] - p["post_x_top"]) * t
            joint_x = abs(post_x - seg.center[0]) - MASS_HALF_ACROSS - 2.0
            lo = np.array([-joint_x - 5, -seg.depth / 2 - 5, -seg.height / 2 - 5])
            hi = np.array([joint_x + 5, seg.depth / 2 + 5, seg.height / 2 + 5])
            box = canvas.grid.box(*world_aabb(seg.center, seg.frame, lo, hi))
            if box is None:
                continue
            u, v, w = local_coords(canvas.grid, box, seg.center, seg.frame)
            start = np.array([side * seg.width * 0.3, 0.1 * seg.depth, 0.0])
            length = joint_x - seg.width * 0.3
            outer, inner = bar(
                u,
                v,
                w,
                start,
                np.array([side, 0.25, 0.0]),
                length - seg.depth * 0.3,
                seg.depth * 0.38,
                seg.height * 0.45,
                shell=canvas.cortical_mm,
            )
            hu = canvas.hu[box]
            hu[outer] = seg.cortical_hu
            hu[inner] = seg.cancellous_hu
