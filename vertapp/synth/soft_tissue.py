"""Soft tissue of the trunk: skin outline, subcutaneous fat, muscle, lungs, mediastinum,
trachea, abdominal organs with fat, paraspinal muscles and the spinal canal (CSF + cord).

All shapes are ellipses whose parameters vary slice by slice (arrays of shape (nz, 1, 1)),
so the whole volume is filled with a handful of vectorised operations.
"""

from __future__ import annotations

import numpy as np

from vertapp.synth.anatomy import Anatomy
from vertapp.synth.grid import Grid

AIR, FAT, MUSCLE, ORGAN, LUNG, CSF, CORD = -1000.0, -100.0, 50.0, 40.0, -850.0, 10.0, 35.0


def _profile(z: np.ndarray, anatomy: Anatomy, values: tuple[float, ...]) -> np.ndarray:
    """Interpolate a trunk parameter given at T1 top, T6, T12, L3, L5 and 60 mm below."""
    v = anatomy.vertebrae
    knots = [
        v[0].center[2] + 20,
        v[5].center[2],
        v[11].center[2],
        v[14].center[2],
        v[16].center[2],
        v[16].center[2] - 60,
    ]
    return np.interp(z, knots[::-1], values[::-1])


def trunk_params(z: np.ndarray, anatomy: Anatomy, neck: bool = False) -> dict[str, np.ndarray]:
    """Per-slice trunk outline: centre (xc, yc) and semi-axes (ax, ay) in mm. With `neck`,
    above the shoulders (T1 + 20 mm) the outline narrows to a neck and follows the
    cervical bodies; without it (every phantom without a neck) nothing changes."""
    v = anatomy.vertebrae + (anatomy.neck if neck else ())
    cz = np.array([g.center[2] for g in v])
    order = np.argsort(cz)
    body_x = np.interp(z, cz[order], np.array([g.center[0] for g in v])[order])
    body_y = np.interp(z, cz[order], np.array([g.center[1] for g in v])[order])
    s = anatomy.trunk_scale
    ax = _profile(z, anatomy, (115, 145, 150, 145, 158, 170)) * s
    ay = _profile(z, anatomy, (80, 102, 108, 104, 106, 108)) * s
    back = _profile(z, anatomy, (70, 75, 80, 92, 95, 95)) * s
    if neck:
        ax, ay, back = _neck_outline(z, anatomy, ax, ay, back)
    return {
        "xc": body_x * 0.5,
        "yc": body_y + back - ay,
        "ax": ax,
        "ay": ay,
        "bx": body_x,
        "by": body_y,
    }


def _neck_outline(z: np.ndarray, anatomy: Anatomy, ax, ay, back):
    """From the shoulders (T1's top + 20 mm) to C5 the trunk narrows to a neck ~120 mm
    wide and deep, its back ~70 mm behind the cervical bodies."""
    t1 = anatomy.vertebrae[0]
    z0 = t1.center[2] + t1.height / 2 + 20.0
    z1 = max(anatomy.neck[3].center[2], z0 + 10.0)  # C5
    f = np.clip((z - z0) / (z1 - z0), 0.0, 1.0)
    s = anatomy.trunk_scale
    return ax + f * (60.0 * s - ax), ay + f * (62.0 * s - ay), back + f * (70.0 * s - back)


def paint_soft_tissue(
    hu: np.ndarray, grid: Grid, anatomy: Anatomy, rng: np.random.Generator, neck: bool = False
) -> None:
    """Fill `hu` with the trunk's soft tissue, in slabs of slices to bound the memory; with
    `neck`, a neck above the shoulders and the trachea up to the top of the field."""
    blobs = _fat_blobs(grid, rng)
    step = 24
    for z0 in range(0, grid.shape[0], step):
        z1 = min(z0 + step, grid.shape[0])
        origin = (grid.origin[0], grid.origin[1], grid.origin[2] + z0 * grid.spacing[2])
        slab = Grid(origin, grid.spacing, (z1 - z0, grid.shape[1], grid.shape[2]))
        _paint_slab(hu[z0:z1], slab, anatomy, blobs, neck)


def _paint_slab(hu: np.ndarray, grid: Grid, anatomy: Anatomy, blobs, neck: bool) -> None:
    z = grid.axis(2)
    p = {
        k: val.reshape(-1, 1, 1).astype(np.float32)
        for k, val in trunk_params(z, anatomy, neck).items()
    }
    x = grid.axis(0).reshape(1, 1, -1).astype(np.float32)
    y = grid.axis(1).reshape(1, -1, 1).astype(np.float32)
    dx, dy = x - p["xc"], y - p["yc"]

    def inside(shrink: float) -> np.ndarray:
        return (dx / (p["ax"] - shrink)) ** 2 + (dy / (p["ay"] - shrink)) ** 2 <= 1.0

    hu[...] = AIR
    hu[inside(0.0)] = FAT
    hu[inside(14.0)] = MUSCLE
    organs = inside(26.0)
    hu[organs] = ORGAN
    for c, r in blobs:  # fat between bowel loops, only inside the organ space
        box = grid.box(c - r, c + r)
        if box is None:
            continue
        bx, by, bz = grid.coords(box)
        blob = ((bx - c[0]) / r[0]) ** 2 + ((by - c[1]) / r[1]) ** 2 + (
            (bz - c[2]) / r[2]
        ) ** 2 <= 1
        hu[box][blob & organs[box]] = -90.0
    _thorax(hu, grid, anatomy, p, x, y, dx, dy, neck)
    # paraspinal muscles behind the ring, either side of the spinous processes
    for side in (-1.0, 1.0):
        m = ((x - p["bx"] - side * 32) / 24) ** 2 + ((y - p["by"] - 55) / 24) ** 2 <= 1.0
        hu[m & inside(6.0)] = 55.0


def _fat_blobs(grid: Grid, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random ellipsoids (centre, radii) spread over the field of view."""
    lo = np.array([grid.axis(k)[0] for k in range(3)])
    hi = np.array([grid.axis(k)[-1] for k in range(3)])
    n = int(np.ceil((hi[2] - lo[2]) / 2.0))
    centres = rng.uniform(lo, hi, size=(n, 3))
    radii = rng.uniform(10.0, 28.0, size=(n, 3))
    return list(zip(centres, radii, strict=True))


def _thorax(hu, grid: Grid, anatomy: Anatomy, p, x, y, dx, dy, neck: bool) -> None:
    v = anatomy.vertebrae
    z = grid.axis(2).reshape(-1, 1, 1).astype(np.float32)
    apex = v[0].center[2] + 25.0
    # diaphragm: two domes, high in front (T9) and low at the back (T12/L1 recess) and at the
    # lateral costophrenic angles
    front, back = v[8].center[2], v[11].center[2] - 10.0
    frac_y = np.clip((y - (p["yc"] - p["ay"])) / (2 * p["ay"]), 0, 1)
    lateral = np.abs(x - p["bx"]) / np.maximum(p["ax"] - 28.0, 1.0)
    dome = 25.0 * np.exp(-(((lateral - 0.45) / 0.3) ** 2))
    diaphragm = front + (back - front) * frac_y + dome - 15.0
    taper = np.sqrt(np.clip((apex - z) / 50.0, 0.0, 1.0))
    ax, ay = (p["ax"] - 28.0) * taper, (p["ay"] - 26.0) * taper
    chest = (dx / np.maximum(ax, 1.0)) ** 2 + (dy / np.maximum(ay, 1.0)) ** 2 <= 1.0
    heart_c = v[6].center
    heart = (
        ((x - p["bx"] - 22.0) / 58.0) ** 2
        + ((y - p["by"] + 75.0) / 48.0) ** 2
        + ((z - heart_c[2] + 10.0) / 60.0) ** 2
    ) <= 1.0
    band = ((x - p["bx"]) / 26.0) ** 2 + ((y - p["by"] + 55.0) / 70.0) ** 2 <= 1.0
    mediastinum = heart | band
    spine = (np.abs(x - p["bx"]) < 30.0) & (y > p["by"] - 30.0)
    lung = chest & ~mediastinum & ~spine & (z < apex) & (z > diaphragm)
    hu[lung] = LUNG
    trachea = (
        ((x - p["bx"]) ** 2 + (y - p["by"] + 38.0) ** 2 <= 81.0)
        & (z > v[3].center[2])
        & ((z < apex + 30) | neck)  # up through the neck (to the larynx) when there is one
    )
    hu[trachea] = AIR + 50.0


def paint_canal(
    hu: np.ndarray, grid: Grid, centres: np.ndarray, radii: np.ndarray, cord_end_z: float
) -> None:
    """CSF-filled canal with the cord above the conus (L1), one circle per slice."""
    x = grid.axis(0).reshape(1, 1, -1).astype(np.float32)
    y = grid.axis(1).reshape(1, -1, 1).astype(np.float32)
    cx = centres[:, 0].reshape(-1, 1, 1).astype(np.float32)
    cy = centres[:, 1].reshape(-1, 1, 1).astype(np.float32)
    r = radii.reshape(-1, 1, 1).astype(np.float32)
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    hu[d2 <= (r * 1.1) ** 2] = CSF
    z = grid.axis(2).reshape(-1, 1, 1)
    hu[(d2 <= (0.45 * r) ** 2) & (z > cord_end_z)] = CORD
