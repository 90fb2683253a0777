"""What makes a phantom look like a real CT on the sagittal MIP (opt-in, `realism=`).

The legacy phantom paints bone voxel by voxel: a cortical shell at least one voxel thick
at ~850 HU. On the MIP every left-right line through a vertebral body then meets a full
cortical voxel in the lateral wall, so bodies come out as uniform ~760 HU blocks, while on
real scans (VerSe, TotalSegmentator example) the same lines meet a 0.3-1 mm cortex that
partial volume dilutes: cores ~300-550 HU, brighter endplate and anterior rims (where the
line runs along the cortex), vertical trabecular streaks. tools/compare_mips.py measures
both (docs/synth.md). `Realism` holds the knobs; `realistic_options(seed)` draws a whole
scan protocol (slices 1-5 mm, kernel, noise, crop, degeneration) from one seed, and
`neck_options(seed)` the same kind of protocol for a scan from the neck down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from vertapp.labels import VERTEBRAE

T13_SHARE = 0.05  # of the scans showing T12 and L1: rarer than L6 (~10 %) in VerSe


@dataclass(frozen=True)
class Realism:
    """Opt-in realism of a CT phantom (all lengths mm, all values HU)."""

    cortex_mm: float = 0.4  # true thickness of the vertebral body's cortex
    cortex_hu: float = 1200.0  # fully resolved cortical bone (before partial volume)
    # Real bodies have a thinner lateral wall than anterior wall and endplates: factors on
    # cortex_mm (lateral; anterior/posterior gets 2 - lateral; endplates their own).
    lateral_factor: float = 0.6
    endplate_factor: float = 1.5
    arch_cortex_scale: float = 0.5  # posterior elements' voxel-painted cortex: share of full
    cancellous_shift_hu: float = -100.0  # added to the anatomy's 190..260 HU marrow
    trabecular_hu: float = 220.0  # amplitude of the marrow texture
    trabecular_mm: tuple[float, float] = (0.4, 3.0)  # its correlation (in-plane, along z)
    slice_profile: float = 0.45  # z blur sigma as a fraction of the slice spacing
    sharpen: float = 0.0  # edge enhancement of the kernel (unsharp amount, 0 = smooth)
    osteophytes: float = 0.0  # chance per vertebra of an anterior spur at each endplate
    sclerosis_hu: float = 0.0  # extra density of the endplate zones (degeneration)
    crop_half_width_mm: float | None = None  # narrow left-right crop around the canal
    crop_ap_mm: tuple[float, float] | None = None  # in front of the body / behind the canal


def realistic_options(seed: int) -> dict[str, Any]:
    """Keyword arguments of `make_ct_phantom` for a random but plausible real-scan look:
    levels (ending at L5 in half), slice spacing 1-5 mm, in-plane 0.6-1.0 mm, soft to sharp kernels, noise
    10-60 HU, degeneration in about half, a VerSe-like narrow crop in about half, an
    unlabelled L6 in about 1 of 10 that reach L5, an unlabelled T13 in about 1 of 20 that
    show T12 and L1."""
    rng = np.random.default_rng([seed, 5150])
    n = int(rng.integers(4, 12))
    # half the scans reach the sacrum (lumbar and abdominal CTs), the rest anywhere
    reach_l5 = rng.random() < 0.5
    first = len(VERTEBRAE) - n if reach_l5 else int(rng.integers(0, len(VERTEBRAE) - n + 1))
    last = VERTEBRAE[first + n - 1]
    spacing, realism = _scanner(rng)
    # VerSe: about 1 in 10 spines has a transitional L6 (left unlabelled, docs/import.md)
    l6 = last == "L5" and rng.random() < 0.1
    options = {"first": VERTEBRAE[first], "last": last, "spacing": spacing, **_scan_rest(rng)}
    options.update(realism=realism, transitional="L6" if l6 else None)
    # and fewer a T13; drawn after everything else, so every other choice of a seed stays
    # what it was before T13 existed
    levels = VERTEBRAE[first : first + n]
    if not l6 and "T12" in levels and "L1" in levels and rng.random() < T13_SHARE:
        options["transitional"] = "T13"
    return options


NECK_FIRSTS = ("C2", "C3", "C3", "C4")  # head and neck CTs start at the skull base or below


def neck_options(seed: int) -> dict[str, Any]:
    """`make_ct_phantom` keyword arguments for a neck-to-thorax scan (as a quarter of VerSe
    is): from C2-C4 (mostly C3) down to T4..T10, with the same kind of protocol as
    `realistic_options` (slices, kernel, noise, degeneration, narrow crop), drawn from a
    generator of its own, so `realistic_options(seed)` stays what it was."""
    rng = np.random.default_rng([seed, 6160])
    first = str(rng.choice(NECK_FIRSTS))
    last = f"T{int(rng.integers(4, 11))}"
    spacing, realism = _scanner(rng)
    options = {"first": first, "last": last, "spacing": spacing, **_scan_rest(rng)}
    options.update(realism=realism, transitional=None)
    return options


# The two halves of a scan protocol, in the order of draws `realistic_options` has always
# used (its L6 coin falls between them): its seeds must keep their protocols.
def _scanner(rng: np.random.Generator) -> tuple[tuple[float, float, float], Realism]:
    """Spacing and `Realism` (kernel, cortex, marrow, degeneration, crop)."""
    in_plane = float(rng.uniform(0.6, 1.0))
    dz = float(rng.choice([1.0, 1.5, 2.0, 3.0, 3.0, 4.0, 5.0]))
    sharp = float(rng.choice([0.0, 0.0, 0.2, 0.4]))
    degenerate = rng.random() < 0.5
    narrow = rng.random() < 0.5
    realism = Realism(
        cortex_mm=float(rng.uniform(0.3, 0.7)),
        cortex_hu=float(rng.uniform(1000.0, 1400.0)),
        cancellous_shift_hu=float(rng.uniform(-150.0, -60.0)),
        trabecular_hu=float(rng.uniform(150.0, 260.0)),
        sharpen=sharp,
        osteophytes=float(rng.uniform(0.2, 0.6)) if degenerate else 0.0,
        sclerosis_hu=float(rng.uniform(50.0, 200.0)) if degenerate else 0.0,
        crop_half_width_mm=float(rng.uniform(25.0, 45.0)) if narrow else None,
        crop_ap_mm=(float(rng.uniform(5, 25)), float(rng.uniform(35, 70))) if narrow else None,
    )
    return (in_plane, in_plane, dz), realism


def _scan_rest(rng: np.random.Generator) -> dict[str, float]:
    """Scoliosis, noise and point-spread function."""
    return {
        "scoliosis_mm": float(rng.choice([0.0, 0.0, rng.uniform(3, 20)])),
        "noise_hu": float(rng.uniform(10.0, 60.0)),
        "psf_mm": float(rng.uniform(0.4, 1.0)),
    }


def fraction_inside(dist_mm: np.ndarray, voxel_mm: np.ndarray | float) -> np.ndarray:
    """Share of a voxel inside a surface, from the signed distance (positive inside) of its
    centre and its size across the surface: a box filter, i.e. partial volume."""
    return np.clip(dist_mm / voxel_mm + 0.5, 0.0, 1.0)


def ellipse_distance(u: np.ndarray, v: np.ndarray, a, b) -> tuple[np.ndarray, np.ndarray]:
    """Approximate signed distance (mm, positive inside) to the ellipse (u/a)^2+(v/b)^2=1,
    and the |normal . (1, 0)| share that tells how the voxel's x size projects on it."""
    rho = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    gu, gv = u / a**2, v / b**2
    g = np.sqrt(gu**2 + gv**2) / np.maximum(rho, 1e-6)
    return (1.0 - rho) / np.maximum(g, 1e-6), np.abs(gu) / np.maximum(np.sqrt(gu**2 + gv**2), 1e-6)


def trabecular_texture(
    shape: tuple[int, ...], spacing: tuple[float, ...], r: Realism, rng: np.random.Generator
) -> np.ndarray:
    """Unit-free marrow texture with std `trabecular_hu`, correlated longer along z
    (vertical trabeculae show as streaks on the sagittal MIP)."""
    n = rng.standard_normal(shape, dtype=np.float32)
    sig_xy, sig_z = r.trabecular_mm
    n = ndimage.gaussian_filter(
        n, sigma=(sig_z / spacing[2], sig_xy / spacing[1], sig_xy / spacing[0])
    )
    n *= r.trabecular_hu / max(float(n.std()), 1e-6)
    return n


def scanner_blur(hu: np.ndarray, sp: tuple[float, ...], psf_mm: float, r: Realism) -> np.ndarray:
    """The reconstruction kernel (Gaussian PSF, optional edge enhancement as in sharp bone
    kernels) and the slice profile (z blur ~0.45 of the slice spacing)."""
    sigma = (r.slice_profile, psf_mm / sp[1], psf_mm / sp[0])
    out = ndimage.gaussian_filter(hu, sigma=sigma, truncate=3.0)
    if r.sharpen > 0:
        wide = ndimage.gaussian_filter(out, sigma=(0.0, 1.2 / sp[1], 1.2 / sp[0]), truncate=3.0)
        out = out + r.sharpen * (out - wide)
    return out


def narrow_box(
    shape: tuple[int, int, int], origin, sp, canal_xy: np.ndarray, front_y: float, r: Realism
) -> tuple[slice, slice]:
    """(y, x) index slices of a VerSe-like crop: `crop_half_width_mm` either side of the
    canal and from `crop_ap_mm[0]` in front of the bodies to `crop_ap_mm[1]` behind the
    canal."""
    assert r.crop_half_width_mm is not None and r.crop_ap_mm is not None
    xc, yc = float(np.median(canal_xy[:, 0])), float(np.max(canal_xy[:, 1]))
    x0, x1 = xc - r.crop_half_width_mm, xc + r.crop_half_width_mm
    y0, y1 = front_y - r.crop_ap_mm[0], yc + r.crop_ap_mm[1]

    def idx(lo: float, hi: float, k: int, n: int) -> slice:
        a = max(int(np.floor((lo - origin[k]) / sp[k])), 0)
        return slice(a, min(int(np.ceil((hi - origin[k]) / sp[k])) + 1, n))

    return idx(y0, y1, 1, shape[1]), idx(x0, x1, 0, shape[2])
