"""Lateral spine radiographs of a CT phantom: a high-dose image and a noisy low-dose image
in which every vertebra moved by a small known 2D similarity (for the ZOI alignment of the
X-ray workflow), with per-vertebra part masks for both.

Image geometry: rows run head (row 0) to feet, columns anterior (col 0) to posterior, the
same orientation as the CT MIP; `pixel_spacing` = (pixel_mm, pixel_mm). Values are the
log-attenuation -ln(I/I0) (bone bright), as `vertapp.io.volume.Radiograph` expects.

Motion convention (`VertebraMotion`): about the vertebra's centroid `center_px` (col, row)
in the high-dose image, rotate by `angle_deg` (counter-clockwise as displayed, OpenCV's
convention), scale by `scale`, then shift by `dx_mm` (towards higher columns = posterior)
and `dy_mm` (towards higher rows = inferior). `matrix` is the 2x3 affine that maps a
high-dose pixel (col, row, 1) to its low-dose position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from vertapp.io.volume import Radiograph
from vertapp.labels import VERTEBRA_ID
from vertapp.synth.ct_phantom import CTPhantom, make_ct_phantom

MU_WATER = 0.02  # 1/mm, ~70 keV effective
MU_SOFT = MU_WATER * 1.04
BONE_BOOST = 4.0
CT_PART_TO_XRAY = {1: "body", 2: "pedicle", 3: "spinous_process", 4: "transverse_process"}


@dataclass(frozen=True)
class VertebraMotion:
    dx_mm: float
    dy_mm: float
    angle_deg: float
    scale: float
    center_px: tuple[float, float]  # (col, row) in the high-dose image
    matrix: np.ndarray  # (2, 3) high (col, row, 1) -> low (col, row)


@dataclass(frozen=True)
class PartMask:
    level: str  # "T12", "L1", ...
    part: str  # one of vertapp.labels.PARTS
    mask: np.ndarray  # bool (rows, cols)


@dataclass
class RadiographPair:
    high: Radiograph
    low: Radiograph
    levels: tuple[str, ...]
    high_parts: list[PartMask]
    low_parts: list[PartMask]
    high_vertebrae: dict[str, np.ndarray]  # level -> bool mask (union of its parts)
    low_vertebrae: dict[str, np.ndarray]
    motions: dict[str, VertebraMotion]  # low vs high, per level
    torsion: str | None  # level given an out-of-plane rotation in the low-dose image
    seed: int


def make_radiograph_pair(
    seed: int = 0,
    first: str = "T12",
    last: str = "L5",
    *,
    pixel_mm: float = 1.0,
    max_shift_mm: float = 3.0,
    max_angle_deg: float = 4.0,
    max_scale: float = 0.03,
    motions: Mapping[str, tuple[float, float, float, float]] | None = None,
    torsion: str | None = None,
    torsion_deg: float = 15.0,
    high_photons: float = 2e6,
    low_photons: float = 3e5,
    scoliosis_mm: float = 0.0,
    pelvis: bool | None = None,
) -> RadiographPair:
    """Project phantom `seed` (levels first..last) laterally; see the module doc.

    `motions` overrides the random motion of given levels with (dx_mm, dy_mm, angle_deg,
    scale); `torsion` names a level rotated by `torsion_deg` about its own vertical axis
    in the low-dose image (a 3D motion no 2D similarity explains)."""
    ph = make_ct_phantom(
        seed,
        first,
        last,
        spacing=(2.0, pixel_mm, pixel_mm),
        scoliosis_mm=scoliosis_mm,
        pelvis=pelvis,
        noise_hu=0.0,
        psf_mm=0.0,
    )
    if torsion is not None and torsion not in ph.levels:
        raise ValueError(f"torsion level {torsion} is not among {ph.levels}")
    mu = attenuation(ph.volume.array)
    sx = ph.volume.spacing[0]
    labels = ph.vertebra_labels
    background = _project(np.where(labels > 0, MU_SOFT, mu), sx)
    rng = np.random.default_rng([seed, 555])
    motion = {}
    high_line, low_line = background.copy(), background.copy()
    high_parts, low_parts, high_v, low_v = [], [], {}, {}
    for level in ph.levels:
        sel = _vertebra_box(
            labels, VERTEBRA_ID[level], ph, pad_mm=25.0 if level == torsion else 2.0
        )
        vid = VERTEBRA_ID[level]
        own = labels[sel] == vid
        excess = np.where(own, mu[sel] - MU_SOFT, 0.0).astype(np.float32)
        parts = np.where(own, ph.part_labels[sel], 0).astype(np.uint8)
        img_h, part_h = (
            _place(_project(excess, sx), sel, background.shape),
            _project_parts(parts, sel, background.shape),
        )
        if level == torsion:
            excess, parts = _twist(excess, parts, ph, level, sel, torsion_deg)
        img_l, part_l = (
            _place(_project(excess, sx), sel, background.shape),
            _project_parts(parts, sel, background.shape),
        )
        high_line += img_h
        union_h = np.any(list(part_h.values()), axis=0)
        m = _motion(rng, level, motions, union_h, pixel_mm, max_shift_mm, max_angle_deg, max_scale)
        motion[level] = m
        low_line += _warp(img_l, m.matrix, cv2.INTER_LINEAR)
        part_l = {
            p: _warp(mk.astype(np.uint8), m.matrix, cv2.INTER_NEAREST) > 0
            for p, mk in part_l.items()
        }
        high_parts += [PartMask(level, p, mk) for p, mk in part_h.items() if mk.any()]
        low_parts += [PartMask(level, p, mk) for p, mk in part_l.items() if mk.any()]
        high_v[level] = union_h
        low_v[level] = np.any(list(part_l.values()), axis=0)
    noise = np.random.default_rng([seed, 777])
    spacing = (float(pixel_mm), float(pixel_mm))
    # detector blur also hides the staircase of the 2 mm steps along the beam
    high_line = ndimage.gaussian_filter(high_line, 0.7)
    low_line = ndimage.gaussian_filter(low_line, 0.7)
    high_log = _expose(high_line, high_photons, 0.05, noise)
    low_log = _expose(low_line, low_photons, 0.3, noise)
    high_img, low_img = _process(high_log, pixel_mm), _process(low_log, pixel_mm)
    lo, hi = _display_range(high_img, high_log)
    high_img = (high_img - lo) / (hi - lo)
    lo, hi = _display_range(low_img, low_log)
    # the low-dose image keeps a flatter grey scale (scatter, lower kV/mAs settings)
    low_img = 0.2 + 0.7 * (low_img - lo) / (hi - lo)
    high = Radiograph(high_img, spacing, modality="DX", bits_stored=16)
    low = Radiograph(low_img, spacing, modality="DX", bits_stored=16)
    return RadiographPair(
        high, low, ph.levels, high_parts, low_parts, high_v, low_v, motion, torsion, seed
    )


def attenuation(hu: np.ndarray) -> np.ndarray:
    """Linear attenuation (1/mm) from HU; bone gets the extra photoelectric contrast it has
    at radiographic energies (~70 kVp) compared with the CT's 120 kVp."""
    h = hu.astype(np.float32) / 1000.0
    return MU_WATER * np.clip(1.0 + np.where(h > 0, BONE_BOOST * h, h), 0.0, None)


def _project(mu: np.ndarray, sx: float) -> np.ndarray:
    """Line integral along x (left-right) -> image rows head-first, cols anterior->posterior."""
    return (mu.sum(axis=2) * sx)[::-1].astype(np.float32)


def _vertebra_box(
    labels: np.ndarray, vid: int, ph: CTPhantom, pad_mm: float
) -> tuple[slice, slice, slice]:
    zz, yy, xx = np.nonzero(labels == vid)
    sx, sy, sz = ph.volume.spacing
    pads = (int(np.ceil(2.0 / sz)), int(np.ceil(pad_mm / sy)), int(np.ceil(pad_mm / sx)))
    out = []
    for idx, pad, n in zip((zz, yy, xx), pads, labels.shape, strict=True):
        out.append(slice(max(int(idx.min()) - pad, 0), min(int(idx.max()) + pad + 1, n)))
    return out[0], out[1], out[2]


def _place(img: np.ndarray, sel: tuple[slice, slice, slice], shape: tuple[int, ...]) -> np.ndarray:
    """Put a projected box (rows flipped) into a full-size image."""
    out = np.zeros(shape, dtype=np.float32)
    nz = shape[0]
    rows = slice(nz - sel[0].stop, nz - sel[0].start)
    out[rows, sel[1]] = img
    return out


def _project_parts(parts: np.ndarray, sel, shape) -> dict[str, np.ndarray]:
    return {
        name: _place(np.any(parts == pid, axis=2)[::-1].astype(np.float32), sel, shape) > 0
        for pid, name in CT_PART_TO_XRAY.items()
    }


def _twist(excess, parts, ph: CTPhantom, level: str, sel, deg: float):
    """Rotate a vertebra's box about its own body-centre vertical axis (out of plane)."""
    sx, sy, sz = ph.volume.spacing
    centre = ph.volume.lps_to_index(ph.body_centres[level]) - np.array([s.start for s in sel])
    a = np.deg2rad(deg)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    scale = np.diag([sz, sy, sx])
    matrix = np.linalg.inv(scale) @ rot.T @ scale
    offset = centre - matrix @ centre
    ex = ndimage.affine_transform(excess, matrix, offset, order=1)
    pa = ndimage.affine_transform(parts, matrix, offset, order=0)
    return ex, pa


def _motion(rng, level, fixed, mask, px, shift, angle, scale) -> VertebraMotion:
    draw = (
        rng.uniform(-shift, shift),
        rng.uniform(-shift, shift),
        rng.uniform(-angle, angle),
        1 + rng.uniform(-scale, scale),
    )
    dx, dy, ang, sc = fixed[level] if fixed and level in fixed else draw
    rows, cols = np.nonzero(mask)
    centre = (float(cols.mean()), float(rows.mean())) if rows.size else (0.0, 0.0)
    m = cv2.getRotationMatrix2D(centre, float(ang), float(sc))
    m[0, 2] += dx / px
    m[1, 2] += dy / px
    return VertebraMotion(float(dx), float(dy), float(ang), float(sc), centre, m)


def _warp(img: np.ndarray, matrix: np.ndarray, interp: int) -> np.ndarray:
    h, w = img.shape
    return cv2.warpAffine(
        img, matrix, (w, h), flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def _expose(
    line: np.ndarray, photons: float, scatter: float, rng: np.random.Generator
) -> np.ndarray:
    """Detector: Poisson counts of the transmitted beam plus uniform scatter (which lowers
    contrast), back to log-attenuation."""
    primary = photons * np.exp(-line.astype(np.float64))
    counts = rng.poisson(primary + scatter * primary.mean()).astype(np.float64)
    return (-np.log(np.maximum(counts, 1.0) / photons)).astype(np.float32)


def _process(log_att: np.ndarray, pixel_mm: float) -> np.ndarray:
    """Radiograph post-processing as detectors do it: damp the large-scale thickness
    variation (unsharp mask, 15 mm) so that bone edges carry the contrast."""
    smooth = ndimage.gaussian_filter(log_att, 15.0 / pixel_mm)
    return (log_att - 0.85 * smooth).astype(np.float32)


def _display_range(processed: np.ndarray, log_att: np.ndarray) -> tuple[float, float]:
    """Grey range from the thick part of the body (skips the skin-edge halos)."""
    thick = log_att > 0.6 * float(np.percentile(log_att, 99))
    vals = processed[thick] if thick.any() else processed.ravel()
    lo, hi = np.percentile(vals, [1, 99.8])
    return float(lo), float(max(hi, lo + 1e-6))
