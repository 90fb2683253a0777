"""`make_ct_phantom`: a synthetic thoracolumbar CT (optionally with the neck) with exact
ground truth.

The phantom is painted into an LPS grid (array z, y, x; z grows towards the head) in
this order: soft tissue (air, fat, muscle, lungs, organs), the canal (CSF, cord), discs,
vertebrae (labelled), ribs, pelvis (sacrum + iliac wings), then blurred with a small
point-spread function and given noise. See docs/synth.md for what each part looks like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage

from vertapp.io.volume import Volume
from vertapp.labels import VERSE_OFFSET, VERTEBRA_ID, vertebra_range
from vertapp.synth.anatomy import NECK, Anatomy, VertebraGeometry, make_anatomy
from vertapp.synth.grid import Grid
from vertapp.synth.pelvis import ilium_geometry, paint_ilium, paint_sacrum
from vertapp.synth.realism import Realism, narrow_box, scanner_blur, trabecular_texture
from vertapp.synth.ribs import paint_rib
from vertapp.synth.soft_tissue import paint_canal, paint_soft_tissue, trunk_params
from vertapp.synth.transitional import lumbarised_s1, thoracic_t13
from vertapp.synth.vertebra import Canvas, paint_disc, paint_vertebra

TRANSITIONAL_LABEL = 255  # T13 while painting (ribs keep off labelled bone); 0 in the end
CERVICAL_LABEL0 = 200  # C1..C7 are 201..207 while painting; 0 in the end (`cervical_labels`)
BONE_HU = 100.0  # the CT paper's lower bone threshold; "enclosed by bone" uses it
PART_NAMES = {1: "body", 2: "arch_pedicles", 3: "spinous", 4: "transverse"}


@dataclass
class CTPhantom:
    volume: Volume  # LPS, int16 HU
    vertebra_labels: np.ndarray  # uint8 (z, y, x): 0 background, 1..17 = T1..L5
    part_labels: np.ndarray  # uint8 (z, y, x): 1 body, 2 arch/pedicles, 3 spinous, 4 transverse
    canal: np.ndarray  # (nz, 3) x_mm, y_mm, r_mm per slice; NaN where bone does not enclose it
    levels: tuple[str, ...]
    has_pelvis: bool
    seed: int
    canal_axis: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 3)))
    """(nz, 3) x, y, r of the canal axis on every slice, enclosed or not (never NaN)."""
    body_centres: dict[str, np.ndarray] = field(default_factory=dict)  # LPS mm per level
    anatomy: Anatomy | None = field(repr=False, default=None)
    hip_mask: np.ndarray | None = field(repr=False, default=None)
    """bool (z, y, x): voxels of the two iliac bones (what must never hide a vertebra)."""
    transitional: str | None = None  # "L6" below L5 or "T13" below T12: bone without a label
    transitional_mask: np.ndarray | None = field(repr=False, default=None)
    """bool (z, y, x): voxels of the transitional vertebra (to label it T13 = VerSe 28, say)."""
    neck: tuple[str, ...] = ()  # cervical levels asked for (`first`..C7), bone without label
    cervical_labels: np.ndarray | None = field(repr=False, default=None)
    """uint8 (z, y, x): VerSe ids 1..7 (C1..C7) wherever a cervical vertebra was painted
    (C2 above a C3 start shows in the margin), 0 elsewhere; None without a neck."""

    @property
    def z_mm(self) -> np.ndarray:
        """LPS z of every slice (index order)."""
        return self.volume.origin[2] + self.volume.spacing[2] * np.arange(self.volume.shape[0])

    def verse_labels(self) -> np.ndarray:
        """The label map in VerSe numbering, as a VerSe case or TotalSegmentator would give
        it: C1..C7 = 1..7, T1..L5 = 8..24, T13 = 28 (uint8)."""
        out = np.where(self.vertebra_labels > 0, self.vertebra_labels + VERSE_OFFSET, 0)
        out = out.astype(np.uint8)
        if self.cervical_labels is not None:
            out[self.cervical_labels > 0] = self.cervical_labels[self.cervical_labels > 0]
        if self.transitional == "T13" and self.transitional_mask is not None:
            out[self.transitional_mask] = 28
        return out


def make_ct_phantom(
    seed: int = 0,
    first: str = "T1",
    last: str = "L5",
    spacing: Sequence[float] = (1.5, 1.5, 3.0),
    scoliosis_mm: float = 0.0,
    pelvis: bool | None = None,
    noise_hu: float = 20.0,
    *,
    margin_mm: float = 15.0,
    psf_mm: float = 0.6,
    realism: Realism | bool | None = None,
    transitional: str | None = None,
) -> CTPhantom:
    """A thoracolumbar CT phantom of levels `first`..`last` (see module doc).

    `spacing` is (x, y, z) mm; `scoliosis_mm` the lateral amplitude of a single
    scoliotic curve over T1..L5; `pelvis` None = present iff L4 or L5 is in range;
    `noise_hu` the standard deviation of the (slightly correlated) image noise;
    `psf_mm` the in-plane blur (z blur is 0.3 x slice spacing). `realism` (a `Realism`,
    or True for its defaults) paints vertebral bodies with a thin partial-volumed cortex,
    streaky marrow, a slice profile and kernel, optional degeneration and a narrow crop
    (see realism.py); None keeps the legacy look. `realistic_options(seed)` draws all of
    it, with spacing, noise and levels, for training sets. `transitional="L6"` draws a
    sixth lumbar vertebra (a lumbarised S1) below L5, `transitional="T13"` a thirteenth
    thoracic one between T12 and L1 (L1 and below move down), both unlabelled like an
    imported one (`transitional_mask` holds its voxels). `first="C1"`..`"C7"` starts the
    field of view in the neck: the cervical vertebrae (and those above, in the margin) are
    bone without a label in `vertebra_labels`, as in an import, and carry their VerSe ids
    in `cervical_labels`; the neck's own random draws leave every other phantom as it was.
    """
    real = realism if isinstance(realism, Realism) else (Realism() if realism else None)
    sp = tuple(float(s) for s in spacing)
    if len(sp) != 3 or min(sp) <= 0:
        raise ValueError(f"spacing must be three positive numbers (x, y, z), got {spacing}")
    if first not in VERTEBRA_ID and first not in NECK:
        raise ValueError(f"unknown vertebra {first!r}: expected one of C1..C7, T1..T12, L1..L5")
    if last not in VERTEBRA_ID:
        raise ValueError(f"unknown vertebra {last!r}: expected one of T1..T12, L1..L5")
    neck_names = NECK[NECK.index(first) :] if first in NECK else ()
    levels = vertebra_range("T1" if neck_names else first, last)
    has_pelvis = ("L4" in levels or "L5" in levels) if pelvis is None else bool(pelvis)
    anatomy = make_anatomy(seed, scoliosis_mm)
    l6 = t13 = None
    if transitional == "L6" and "L5" in levels:
        l6, anatomy = lumbarised_s1(anatomy)
    elif transitional == "T13" and {"T12", "L1"} <= set(levels):
        t13, anatomy = thoracic_t13(anatomy)
    elif transitional is not None:
        raise ValueError(
            f"transitional: 'L6' below a drawn L5 or 'T13' between a drawn T12 and L1, "
            f"got {transitional!r} for {first}-{last}"
        )
    verts = [anatomy.vertebrae[VERTEBRA_ID[n] - 1] for n in levels]
    neck = list(anatomy.neck) if neck_names else []  # all of C1..C7: the grid clips them
    top = anatomy.neck[NECK.index(first)] if neck_names else verts[0]
    grid = _make_grid(anatomy, verts, sp, has_pelvis, margin_mm, top)
    canvas = Canvas(
        grid=grid,
        hu=np.zeros(grid.shape, dtype=np.float32),
        vertebra=np.zeros(grid.shape, dtype=np.uint8),
        part=np.zeros(grid.shape, dtype=np.uint8),
        cortical_mm=max(1.5, 1.1 * max(sp[0], sp[1])),
        realism=real,
        marrow=np.zeros(grid.shape, dtype=np.float32) if real else None,
        seed=seed,
    )
    rng = np.random.default_rng([seed, 4242])
    paint_soft_tissue(canvas.hu, grid, anatomy, rng, neck=bool(neck))
    segments = neck + _with_t13(verts, t13) + ([l6] if l6 else [])
    segments += list(anatomy.sacrum) if has_pelvis else []
    axis, sacral = canal_axis(grid, segments)
    paint_canal(canvas.hu, grid, axis[:, :2], axis[:, 2], anatomy.vertebrae[12].center[2])
    hips = _paint_spine(canvas, anatomy, verts, has_pelvis, l6, t13, neck)
    cervical = _cervical_ids(canvas) if neck else None
    extra = canvas.vertebra == TRANSITIONAL_LABEL
    canvas.vertebra[extra] = 0  # painted with its own label so ribs keep off it; unlabelled
    canvas.part[extra] = 0
    _paint_texture(canvas, rng)
    clean = scanner_blur(canvas.hu, sp, psf_mm, real) if real else _blur(canvas.hu, sp, psf_mm)
    canal = enclosed_canal(clean >= BONE_HU, grid, axis, sacral)
    noisy = _add_noise(clean, noise_hu, np.random.default_rng([seed, 99]))
    if real and real.crop_half_width_mm is not None:
        front = min(float(g.center[1] - g.depth / 2) for g in verts + neck)
        ys, xs = narrow_box(grid.shape, grid.origin, sp, axis[:, :2], front, real)
        noisy, hips, extra = noisy[:, ys, xs], hips[:, ys, xs], extra[:, ys, xs]
        cervical = cervical[:, ys, xs] if cervical is not None else None
        canvas.vertebra, canvas.part = canvas.vertebra[:, ys, xs], canvas.part[:, ys, xs]
        x0, y0 = grid.origin[0] + xs.start * sp[0], grid.origin[1] + ys.start * sp[1]
        grid = replace(grid, origin=(x0, y0, grid.origin[2]), shape=noisy.shape)
    volume = Volume(
        array=np.clip(np.rint(noisy), -1024, 3071).astype(np.int16),
        spacing=sp,  # type: ignore[arg-type]
        origin=grid.origin,
        modality="CT",
        series_description=f"VertApp phantom seed {seed} {first}-{last}",
    )
    return CTPhantom(
        volume=volume,
        vertebra_labels=canvas.vertebra,
        part_labels=canvas.part,
        canal=canal,
        levels=levels,
        has_pelvis=has_pelvis,
        seed=seed,
        transitional=transitional,
        transitional_mask=extra if transitional else None,
        canal_axis=axis,
        body_centres={g.name: g.center.copy() for g in verts},
        anatomy=anatomy,
        hip_mask=hips,
        neck=neck_names,
        cervical_labels=cervical,
    )


def _make_grid(
    anatomy: Anatomy,
    verts: list[VertebraGeometry],
    sp,
    has_pelvis: bool,
    margin: float,
    first: VertebraGeometry,
) -> Grid:
    """The field of view from `first` (the top vertebra asked for, T1..L5 or cervical)
    down to the last of `verts`, plus `margin` mm, across the whole trunk."""
    top = first.center[2] + first.height / 2 + margin
    bottom = verts[-1].center[2] - verts[-1].height / 2 - margin
    if has_pelvis:
        s2 = anatomy.sacrum[1]
        bottom = min(bottom, s2.center[2] - s2.height / 2 - 5.0)
        top = max(top, ilium_geometry(anatomy, 1)["z_top"] + 5.0)
    zs = np.linspace(bottom, top, 50)
    p = trunk_params(zs, anatomy, neck=first.is_cervical)
    half_x = float(np.max(np.abs(p["xc"]) + p["ax"])) + 12.0
    y_lo = float(np.min(p["yc"] - p["ay"])) - 12.0
    y_hi = float(np.max(p["yc"] + p["ay"])) + 12.0
    lo = np.array([-half_x, y_lo, bottom])
    hi = np.array([half_x, y_hi, top])
    spa = np.array(sp)
    # origins on multiples of the spacing: a partial field of view shares the full one's voxels
    origin = np.floor(lo / spa) * spa
    n = np.ceil((hi - origin) / spa).astype(int) + 1
    return Grid(
        origin=(float(origin[0]), float(origin[1]), float(origin[2])),
        spacing=(sp[0], sp[1], sp[2]),
        shape=(int(n[2]), int(n[1]), int(n[0])),
    )


def _paint_spine(
    canvas: Canvas,
    anatomy: Anatomy,
    verts: list[VertebraGeometry],
    has_pelvis: bool,
    l6: VertebraGeometry | None = None,
    t13: VertebraGeometry | None = None,
    neck: Sequence[VertebraGeometry] = (),
) -> np.ndarray:
    """Paint vertebrae, discs, ribs and pelvis; return the mask of the iliac bones. The
    `neck` (C1..C7 above T1) is painted with labels `CERVICAL_LABEL0` + its number, so
    that ribs keep off it (none start on it) until `_cervical_ids` takes them off."""
    all_v = anatomy.vertebrae
    first, last = verts[0].index, verts[-1].index
    if first > 0:
        paint_disc(canvas, all_v[first - 1], verts[0])
    for g in verts:
        below = all_v[g.index + 1] if g.index + 1 < len(all_v) else None
        if t13 is not None and g.name == "T12":
            below = t13
        if not (g.name == "L5" and has_pelvis):
            paint_disc(canvas, g, below if g.index < last else None)
    if t13 is not None:  # its disc below (T13/L1); T12/T13 above came with T12
        paint_disc(canvas, t13, all_v[12])
    for k, upper in enumerate(neck):  # C2/C3 .. C7/T1 (C1/C2 are joints, not a disc)
        if upper.name != "C1":
            paint_disc(canvas, upper, neck[k + 1] if k + 1 < len(neck) else verts[0])
    if first == 0 and not neck:  # a stand-in C7/T1 disc above T1
        top = verts[0]
        fake = _shifted(top, top.height + top.disc_above)
        paint_disc(canvas, fake, top)
    if l6 is not None:  # transitional: its discs (before any bone), later bone without label
        paint_disc(canvas, verts[-1], l6)
        if not has_pelvis:
            paint_disc(canvas, l6, None)
    for g in neck:
        paint_vertebra(canvas, g, CERVICAL_LABEL0 + int(g.name[1:]))
    for g in verts:
        paint_vertebra(canvas, g, g.index + 1)
    if l6 is not None:
        paint_vertebra(canvas, l6, 0)
    if t13 is not None:
        paint_vertebra(canvas, t13, TRANSITIONAL_LABEL)
    for g in verts + ([t13] if t13 is not None else []):
        if g.index < 12:
            for side in (-1, 1):
                paint_rib(canvas, anatomy, g, side)
    if not has_pelvis:
        return np.zeros(canvas.hu.shape, dtype=bool)
    paint_sacrum(canvas, anatomy, above=l6)
    before = canvas.hu.copy()
    for side in (-1, 1):
        paint_ilium(canvas, anatomy, side)
    return (canvas.hu != before) & (canvas.vertebra == 0)


def _cervical_ids(canvas: Canvas) -> np.ndarray:
    """Take the cervical vertebrae's painting labels off the label maps and return their
    VerSe ids (C1..C7 = 1..7) as a map of their own: they stay bone without a label, as
    cervical vertebrae do in an import (not among the 17 classes)."""
    ids = canvas.vertebra.astype(np.int16) - CERVICAL_LABEL0
    cervical = (ids >= 1) & (ids <= 7)
    canvas.vertebra[cervical] = 0
    canvas.part[cervical] = 0
    return np.where(cervical, ids, 0).astype(np.uint8)


def _with_t13(verts: list[VertebraGeometry], t13: VertebraGeometry | None):
    """The drawn vertebrae head to foot, with T13 after T12 when there is one."""
    if t13 is None:
        return list(verts)
    at = [g.name for g in verts].index("T12") + 1
    return verts[:at] + [t13] + verts[at:]


def _shifted(g: VertebraGeometry, up: float) -> VertebraGeometry:
    return replace(g, center=g.center + g.frame[:, 2] * up, disc_below=g.disc_above)


def _paint_texture(canvas: Canvas, rng: np.random.Generator) -> None:
    """Mottled trabecular texture inside cancellous bone (the PSF blur correlates it)."""
    hu = canvas.hu
    if canvas.realism is not None and canvas.marrow is not None:
        tex = trabecular_texture(hu.shape, canvas.grid.spacing, canvas.realism, rng)
        hu += tex * canvas.marrow
        canvas.marrow = None  # only needed up to here (a full float32 volume)
        return
    canc = (hu > 120) & (hu < 500)
    hu[canc] += rng.normal(0.0, 45.0, size=int(canc.sum())).astype(np.float32)


def _blur(hu: np.ndarray, sp: tuple[float, ...], psf_mm: float) -> np.ndarray:
    if psf_mm <= 0:
        return hu
    sigma = (0.3, psf_mm / sp[1], psf_mm / sp[0])
    return ndimage.gaussian_filter(hu, sigma=sigma, truncate=3.0)


def _add_noise(hu: np.ndarray, noise_hu: float, rng: np.random.Generator) -> np.ndarray:
    if noise_hu <= 0:
        return hu
    n = rng.standard_normal(hu.shape, dtype=np.float32)
    n = ndimage.gaussian_filter(n, sigma=(0.0, 0.6, 0.6))
    n *= noise_hu / max(float(n.std()), 1e-6)
    air = hu <= -990  # no noise outside the body keeps the outline crisp (clipped anyway)
    n[air] *= 0.2
    return hu + n


def canal_axis(grid: Grid, segments: list[VertebraGeometry]) -> tuple[np.ndarray, np.ndarray]:
    """(nz, 3) canal axis x, y and radius on every slice: the axis line of the segment
    (vertebra or sacral segment) that owns the slice's z, extrapolated beyond the ends;
    and a bool per slice: owned by a sacral segment or C1 (`enclosed_canal` measures the
    canal there)."""
    z = grid.axis(2)
    tops = np.array([g.center[2] + g.height / 2 + g.disc_above / 2 for g in segments])
    owner = np.searchsorted(-tops, -z, side="right") - 1  # tops decrease going down
    owner = np.clip(owner, 0, len(segments) - 1)
    out = np.empty((len(z), 3))
    for k, zk in enumerate(z):
        g = segments[owner[k]]
        p, d = g.canal_point(), g.frame[:, 2]
        t = (zk - p[2]) / d[2]
        out[k, :2] = p[:2] + t * d[:2]
        out[k, 2] = g.canal_r
    # measured: the sacrum (tilted, flattened) and C1 (the dens stands in its ring)
    sacral = np.array([segments[o].is_sacral or segments[o].name == "C1" for o in owner])
    return out, sacral


def enclosed_canal(
    bone: np.ndarray, grid: Grid, axis: np.ndarray, measured: np.ndarray
) -> np.ndarray:
    """Keep the axis where its non-bone component is closed by bone on the slice (8-connected
    non-bone, within a window of r + 15 mm); NaN elsewhere. On `measured` slices (the
    steeply tilted, flattened sacral canal) record the largest bone-free circle of that
    component instead of the nominal axis and radius."""
    out = np.full(axis.shape, np.nan)
    sx, sy = grid.spacing[0], grid.spacing[1]
    ox, oy = grid.origin[0], grid.origin[1]
    eight = np.ones((3, 3), dtype=bool)
    for k in range(bone.shape[0]):
        x, y, r = axis[k]
        col, row = int(round((x - ox) / sx)), int(round((y - oy) / sy))
        hx, hy = int(np.ceil((1.3 * r + 15) / sx)), int(np.ceil((1.3 * r + 15) / sy))
        if not (hy <= row < bone.shape[1] - hy and hx <= col < bone.shape[2] - hx):
            continue
        crop = ~bone[k, row - hy : row + hy + 1, col - hx : col + hx + 1]
        if not crop[hy, hx]:
            continue
        lab, _ = ndimage.label(crop, structure=eight)
        comp = lab == lab[hy, hx]
        if comp[0].any() or comp[-1].any() or comp[:, 0].any() or comp[:, -1].any():
            continue
        if measured[k]:
            edt = ndimage.distance_transform_edt(comp, sampling=(sy, sx))
            i, j = np.unravel_index(int(np.argmax(edt)), edt.shape)
            out[k] = (x + (j - hx) * sx, y + (i - hy) * sy, float(edt[i, j]))
        else:
            out[k] = axis[k]
    return out
