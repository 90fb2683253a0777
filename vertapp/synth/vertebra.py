"""Rasterising one vertebra (body, posterior ring, processes) and the discs between them.

Each vertebra is evaluated only inside its own bounding box, in its local frame
(u lateral, v posterior, w superior; see `anatomy.py`). Shapes are (outer, inner) boolean
pairs: outer voxels get cortical HU, inner voxels cancellous HU, so every bone has a
cortical shell. The canal cylinder is carved out of every part, so bone never intrudes
into the canal.

The posterior ring (pedicles + laminae) around the canal exists, in local w, over
`[-0.25 H, 0.45 H]` in front of the canal axis (pedicles) and `[-0.5 H - 0.3 disc, 0.35 H]`
behind it (laminae): the canal is closed by bone where both overlap, roughly
`w in [-0.25 H, 0.35 H]`, and open at disc levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vertapp.synth.anatomy import VertebraGeometry
from vertapp.synth.cervical import cervical_specs, ellipticity, foramina
from vertapp.synth.grid import Grid, bar, bar_extent, local_coords, sub_box, world_aabb
from vertapp.synth.realism import Realism, ellipse_distance, fraction_inside

BODY, ARCH, SPINOUS, TRANSVERSE = 1, 2, 3, 4
PEDICLE_W = (-0.25, 0.45)  # fraction of body height, front half of the ring
LAMINA_W_TOP = 0.35


@dataclass
class Canvas:
    """The arrays a phantom is painted into (all on one grid)."""

    grid: Grid
    hu: np.ndarray  # float32 (z, y, x)
    vertebra: np.ndarray  # uint8
    part: np.ndarray  # uint8
    cortical_mm: float
    realism: Realism | None = None  # None: the legacy voxel-painted bone
    marrow: np.ndarray | None = None  # float32 share of cancellous bone (realism only)
    seed: int = 0


def canal_ellipticity(g: VertebraGeometry) -> float:
    """Lumbar canals are wider than deep, cervical ones much wider; the inscribed circle
    stays `canal_r`."""
    if g.is_cervical:
        return ellipticity(g)
    return 1.15 if g.is_lumbar else 1.0


def _canal_rho(g: VertebraGeometry, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.sqrt((u / canal_ellipticity(g)) ** 2 + (v - g.canal_v) ** 2)


def _body(g: VertebraGeometry, u, v, w, t: float):
    waist = 1.0 - 0.06 * (1.0 - np.clip(2 * w / g.height, -1, 1) ** 2)
    a, b = g.width / 2 * waist, g.depth / 2 * waist
    top = bottom = g.height / 2
    if g.is_sacral:  # fused segments: bone bridges the rudimentary discs
        bottom += g.disc_below
        top += 0.0 if g.index == 17 else g.disc_above
    outer = ((u / a) ** 2 + (v / b) ** 2 <= 1.0) & (w <= top) & (w >= -bottom)
    inner = ((u / (a - t)) ** 2 + (v / (b - t)) ** 2 <= 1.0) & (w <= top - t) & (w >= t - bottom)
    return outer, inner


def _ring(g: VertebraGeometry, u, v, w, t: float, sacral: bool):
    """Pedicles + laminae: a ring around the canal, thicker laterally (pedicles)."""
    rho = _canal_rho(g, u, v)
    cos2 = (u / canal_ellipticity(g)) ** 2 / np.maximum(rho, 1e-3) ** 2
    thick = g.lamina_t * (1.0 + 0.6 * cos2)
    h = g.height
    if sacral:  # fused: the sacral canal stays closed through and between the segments
        lo_f = lo_b = -0.5 * h - g.disc_below
        hi_f = hi_b = 0.5 * h + min(g.disc_above, 2.0)
    else:
        lo_f, hi_f = PEDICLE_W[0] * h, PEDICLE_W[1] * h
        lo_b, hi_b = -0.5 * h - 0.3 * g.disc_below, LAMINA_W_TOP * h
    front = v <= g.canal_v
    lo = np.where(front, lo_f, lo_b)
    hi = np.where(front, hi_f, hi_b)
    outer = (rho <= g.canal_r + thick) & (w >= lo) & (w <= hi)
    inner = (rho >= g.canal_r + t) & (rho <= g.canal_r + thick - t) & (w >= lo + t) & (w <= hi - t)
    return outer, inner


def _spinous_start(g: VertebraGeometry) -> np.ndarray:
    return np.array([0.0, g.canal_v + g.canal_r + g.lamina_t - 2.0, -0.05 * g.height])


def _spinous(g: VertebraGeometry) -> dict:
    a = np.deg2rad(g.spinous_slope_deg)
    start = _spinous_start(g)
    d = np.array([0.0, np.cos(a), -np.sin(a)])
    return {
        "start": start,
        "direction": d,
        "length": g.spinous_len,
        "half_a": 4.5 if g.is_lumbar else 3.5,
        "half_b": g.spinous_half_h,
        "taper": 0.25,
    }


def _transverse(g: VertebraGeometry, side: int) -> dict:
    b = np.deg2rad(g.transverse_back_deg)
    e = canal_ellipticity(g)
    start = np.array(
        [side * e * (g.canal_r + 0.6 * g.lamina_t), g.canal_v + 0.2 * g.canal_r, 0.1 * g.height]
    )
    d = np.array([side * np.cos(b), np.sin(b), 0.15])
    half_b = 5.5 if g.is_lumbar else 5.0
    return {
        "start": start,
        "direction": d,
        "length": g.transverse_len + 4.0,
        "half_a": 4.0,
        "half_b": half_b,
        "taper": -0.1,
    }


def transverse_tip(g: VertebraGeometry, side: int) -> np.ndarray:
    """World position of a transverse process tip (where the rib tubercle sits)."""
    spec = _transverse(g, side)
    d = spec["direction"] / np.linalg.norm(spec["direction"])
    return g.to_world(spec["start"] + d * spec["length"])


def _articular(g: VertebraGeometry, side: int) -> list[dict]:
    """Superior and inferior articular processes: posterolateral columns reaching into
    the disc level (facet joints) without closing the canal there. Cervical ones are the
    stouter lateral masses (articular pillars)."""
    e = canal_ellipticity(g)
    half_a, half_b = (5.0, 5.5) if g.is_cervical else (3.5, 4.5)
    sup = {
        "start": np.array(
            [side * e * (g.canal_r + 0.8 * g.lamina_t), g.canal_v + 0.1 * g.canal_r, 0.2 * g.height]
        ),
        "direction": np.array([0.0, 0.1, 1.0]),
        "length": 0.3 * g.height + 0.6 * g.disc_above,
        "half_a": half_a,
        "half_b": half_b,
    }
    inf = {
        "start": np.array(
            [
                side * e * (g.canal_r + 0.3 * g.lamina_t),
                g.canal_v + 0.6 * g.canal_r,
                -0.2 * g.height,
            ]
        ),
        "direction": np.array([0.0, 0.1, -1.0]),
        "length": 0.3 * g.height + 0.6 * g.disc_below,
        "half_a": half_a,
        "half_b": half_b,
    }
    return [sup, inf]


def _bar_masks(canvas: Canvas, g: VertebraGeometry, box, uvw, spec: dict):
    """Evaluate a bar only on its own sub-box of the vertebra box."""
    u, v, w = uvw
    outer = np.zeros(u.shape, dtype=bool)
    inner = np.zeros(u.shape, dtype=bool)
    lo, hi = bar_extent(
        spec["start"], spec["direction"], spec["length"], spec["half_a"], spec["half_b"]
    )
    sub = sub_box(canvas.grid, box, g.center, g.frame, lo, hi)
    if sub is not None:
        o, i = bar(u[sub], v[sub], w[sub], shell=canvas.cortical_mm, **spec)
        outer[sub], inner[sub] = o, i
    return outer, inner


def _extent(g: VertebraGeometry) -> tuple[np.ndarray, np.ndarray]:
    reach_u = max(g.width / 2, g.canal_r * 1.15 + g.lamina_t * 1.5 + g.transverse_len + 10.0)
    reach_v = g.canal_v + g.canal_r + g.lamina_t + g.spinous_len + 10.0
    drop = (
        g.spinous_len * np.sin(np.deg2rad(g.spinous_slope_deg)) + g.spinous_half_h + 0.1 * g.height
    )
    lo = np.array([-reach_u, -g.depth / 2 - 7, -max(g.height / 2 + g.disc_below, drop) - 3])
    hi = np.array([reach_u, reach_v, g.height / 2 + g.disc_above + 3 + g.dens_len * 1.5])
    return lo, hi


def paint_vertebra(
    canvas: Canvas, g: VertebraGeometry, label: int, *, sacral: bool = False
) -> None:
    """Paint vertebra `g` into the canvas; `label` 0 paints bone without labels (sacrum)."""
    lo, hi = _extent(g)
    box = canvas.grid.box(*world_aabb(g.center, g.frame, lo, hi))
    if box is None:
        return
    u, v, w = local_coords(canvas.grid, box, g.center, g.frame)
    t = canvas.cortical_mm
    parts = [(BODY, _body(g, u, v, w, t)), (ARCH, _ring(g, u, v, w, t, sacral))]
    specs = [(SPINOUS, _spinous(g))]
    if g.is_cervical:
        specs = cervical_specs(g, _spinous_start(g))
        specs += [(ARCH, a) for side in (-1, 1) for a in _articular(g, side)]
    elif not sacral:
        for side in (-1, 1):
            specs += [(ARCH, a) for a in _articular(g, side)]
            specs.append((TRANSVERSE, _transverse(g, side)))
    specs.sort(key=lambda ps: ps[0])  # overlaps go to the lower part id (arch, spinous, ...)
    parts += [(pid, _bar_masks(canvas, g, box, (u, v, w), spec)) for pid, spec in specs]
    canal = _canal_rho(g, u, v) < g.canal_r
    if g.is_cervical:  # the foramina transversaria are carved out like the canal
        canal |= foramina(g, u, v, w)
    outer_any = np.zeros(u.shape, dtype=bool)
    inner_body = np.zeros(u.shape, dtype=bool)
    inner_other = np.zeros(u.shape, dtype=bool)
    part = np.zeros(u.shape, dtype=np.uint8)
    if canvas.realism is not None and not sacral:
        _paint_realistic(canvas, g, box, (u, v, w), parts[1:], canal, label)
        return
    for pid, (outer, inner) in parts:
        outer = outer & ~canal
        part[(part == 0) & outer] = pid
        outer_any |= outer
        if pid == BODY:
            inner_body |= inner & ~canal
        else:
            inner_other |= inner & ~canal
    hu = canvas.hu[box]
    hu[outer_any] = g.cortical_hu
    hu[inner_other] = g.cancellous_hu + 120.0
    hu[inner_body] = g.cancellous_hu
    if label:
        vl, pl = canvas.vertebra[box], canvas.part[box]
        free = outer_any & (vl == 0)
        vl[free] = label
        pl[free] = part[free]


def _paint_realistic(canvas: Canvas, g: VertebraGeometry, box, uvw, others, canal, label: int):
    """Body with a partial-volumed thin cortex (see realism.py); other parts voxel-painted
    with a diluted cortex; optional endplate sclerosis and anterior osteophytes."""
    r = canvas.realism
    assert r is not None
    u, v, w = uvw
    sx, sy, sz = canvas.grid.spacing
    waist = 1.0 - 0.06 * (1.0 - np.clip(2 * w / g.height, -1, 1) ** 2)
    d_r, nx = ellipse_distance(u, v, g.width / 2 * waist, g.depth / 2 * waist)
    h_r = nx * sx + (1.0 - nx) * sy
    d_z = g.height / 2 - np.abs(w)
    f_out = fraction_inside(d_r, h_r) * fraction_inside(d_z, sz)
    t_r = r.cortex_mm * (r.lateral_factor * nx + (2.0 - r.lateral_factor) * (1.0 - nx))
    t_z = r.cortex_mm * r.endplate_factor
    f_in = fraction_inside(d_r - t_r, h_r) * fraction_inside(d_z - t_z, sz)
    spur, spur_in = _osteophytes(canvas, g, u, v, w)
    f_out = np.maximum(f_out, spur)
    f_out[canal] = 0.0
    f_in = np.minimum(np.maximum(f_in, spur_in), f_out)
    canc = g.cancellous_hu + r.cancellous_shift_hu + r.sclerosis_hu * np.exp(-d_z / 4.0)
    outer_o = np.zeros(u.shape, dtype=bool)
    inner_o = np.zeros(u.shape, dtype=bool)
    part = np.zeros(u.shape, dtype=np.uint8)
    part[f_out >= 0.5] = BODY
    for pid, (outer, inner) in others:
        outer = outer & ~canal
        part[(part == 0) & outer] = pid
        outer_o |= outer
        inner_o |= inner & ~canal
    hu = canvas.hu[box]
    hu[:] = hu * (1.0 - f_out) + r.cortex_hu * (f_out - f_in) + canc * f_in
    arch_canc = g.cancellous_hu + r.cancellous_shift_hu + 120.0
    hu[outer_o] = arch_canc + r.arch_cortex_scale * (r.cortex_hu - arch_canc)
    hu[inner_o] = arch_canc
    if canvas.marrow is not None:
        m = canvas.marrow[box]
        m[:] = np.where(outer_o, inner_o.astype(np.float32), np.maximum(m, f_in))
    if label:
        vl, pl = canvas.vertebra[box], canvas.part[box]
        free = (part > 0) & (vl == 0)
        vl[free] = label
        pl[free] = part[free]


def _osteophytes(canvas: Canvas, g: VertebraGeometry, u, v, w) -> tuple[np.ndarray, np.ndarray]:
    """Shares of bone and of marrow of anterior endplate spurs (degeneration): a lip that
    juts forwards and beyond the endplate, marrow inside a cortex like the body's."""
    r = canvas.realism
    out = np.zeros(u.shape, dtype=np.float32)
    inner = np.zeros(u.shape, dtype=np.float32)
    if r is None or r.osteophytes <= 0 or g.name == "C1":  # C1's "body" is its anterior arch
        return out, inner
    rng = np.random.default_rng([canvas.seed, g.index, 77])
    h = canvas.grid.spacing[1]
    for side in (1.0, -1.0):
        if rng.random() >= r.osteophytes:
            continue
        size = rng.uniform(2.0, 5.0)
        c = np.array(
            [rng.uniform(-0.2, 0.2) * g.width, -g.depth / 2, side * (g.height / 2 - size / 3)]
        )
        axes = np.array([0.3 * g.width, size, 1.2 * size])
        q = np.sqrt(
            ((u - c[0]) / axes[0]) ** 2 + ((v - c[1]) / axes[1]) ** 2 + ((w - c[2]) / axes[2]) ** 2
        )
        d = (1.0 - q) * axes[1]  # ~ mm inside the spur's surface
        out = np.maximum(out, fraction_inside(d, h))
        inner = np.maximum(inner, fraction_inside(d - r.cortex_mm * 1.4, h))
    return out, inner


def paint_disc(canvas: Canvas, upper: VertebraGeometry, lower: VertebraGeometry | None) -> None:
    """The disc below `upper` (down to `lower`, or a free disc when `lower` is None)."""
    bottom = upper.to_world([0, 0, -upper.height / 2])
    if lower is None:
        top = bottom - upper.frame[:, 2] * upper.disc_below
        ref = upper
    else:
        top = lower.to_world([0, 0, lower.height / 2])
        ref = lower
    center = (bottom + top) / 2
    axis = upper.frame[:, 2] + ref.frame[:, 2]
    frame = _frame_like(upper.frame, axis)
    height = float(np.linalg.norm(bottom - top)) + 2.0
    a = (upper.width + ref.width) / 4 * 1.03
    b = (upper.depth + ref.depth) / 4 * 1.03
    lo, hi = np.array([-a, -b, -height / 2]), np.array([a, b + 2 * upper.canal_r, height / 2])
    box = canvas.grid.box(*world_aabb(center, frame, lo, hi))
    if box is None:
        return
    u, v, w = local_coords(canvas.grid, box, center, frame)
    r2 = (u / a) ** 2 + (v / b) ** 2
    canal_v = (upper.canal_v + ref.canal_v) / 2
    canal = (u / canal_ellipticity(upper)) ** 2 + (v - canal_v) ** 2 < upper.canal_r**2
    disc = (r2 <= 1.0) & (np.abs(w) <= height / 2) & ~canal
    hu = canvas.hu[box]
    hu[disc] = 95.0
    hu[disc & (r2 <= 0.35)] = 78.0  # nucleus pulposus


def _frame_like(frame: np.ndarray, axis: np.ndarray) -> np.ndarray:
    w = axis / np.linalg.norm(axis)
    u = frame[:, 0] - (frame[:, 0] @ w) * w
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(w, u), w], axis=1)
