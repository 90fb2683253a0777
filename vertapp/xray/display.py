"""Window/level of a radiograph on its own pixel values (Qt-free; the window shows them).

A radiograph has no Hounsfield scale: a DICOM DX holds detector values after the
modality's processing, a 16-bit TIFF whatever its exporter chose, a JPEG 0..255. So the
presets are percentiles of the image itself, never fixed numbers:

- Automatic: 1st to 99th percentile, what a viewer opens with;
- Bone: the bright half (bone is bright), 45th to 99.7th percentile;
- Soft tissue: the darker two thirds, 1st to 70th percentile;
- Full range: minimum to maximum.

Percentiles skip the pixels at the image's very minimum and maximum when those are a
plateau (collimator shutters, burned-in labels, saturated air): a black border covering a
third of a whole-spine film would otherwise pull every window down to it.

The image is also stored at its own depth in a project (`stored_pixels`), so the window's
numbers mean the same after the project is reopened.
"""

from __future__ import annotations

import cv2
import numpy as np

PERCENTILES: dict[str, tuple[float, float]] = {
    "Automatic": (1.0, 99.0),
    "Bone": (45.0, 99.7),
    "Soft tissue": (1.0, 70.0),
    "Full range": (0.0, 100.0),
}
DEFAULT = "Automatic"
SAMPLE = 250_000  # pixels the percentiles are taken from (a 2500 x 1000 film: every 10th)
DRAG_RANGE_PX = 1000.0  # a drag across 1000 screen pixels changes the width by the range


def value_range(image: np.ndarray) -> tuple[float, float]:
    """(minimum, maximum) of the finite pixels; (0, 1) for an image with none."""
    a = np.asarray(image)
    if a.dtype.kind == "f":
        a = a[np.isfinite(a)]
    if a.size == 0:
        return 0.0, 1.0
    return float(a.min()), float(a.max())


def _sample(image: np.ndarray) -> np.ndarray:
    """Every n-th pixel, without the min/max plateaus (see the module docstring)."""
    flat = np.asarray(image).ravel()
    flat = flat[:: max(1, flat.size // SAMPLE)].astype(np.float64)
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return flat
    inside = flat[(flat > flat.min()) & (flat < flat.max())]
    return inside if inside.size >= flat.size // 10 else flat


def window_presets(image: np.ndarray) -> dict[str, tuple[float, float]]:
    """Preset name -> (width, level) in the image's own values."""
    lo, hi = value_range(image)
    sample = _sample(image)
    out = {}
    for name, (p0, p1) in PERCENTILES.items():
        if name == "Full range" or sample.size == 0:
            a, b = lo, hi
        else:
            a, b = (float(v) for v in np.percentile(sample, (p0, p1)))
        out[name] = as_window(a, b, min_width=min_width(lo, hi))
    return out


def min_width(lo: float, hi: float) -> float:
    """The narrowest window worth showing: a 1/1000 of the range (1 for 8-bit values)."""
    return max((hi - lo) / 1000.0, 1e-6)


def as_window(lo: float, hi: float, *, min_width: float = 1e-6) -> tuple[float, float]:
    """(width, level) of the value interval lo..hi."""
    width = max(hi - lo, min_width)
    return float(width), float((lo + hi) / 2.0)


def levels(width: float, level: float) -> tuple[float, float]:
    """The values shown black and white for a (width, level) window."""
    return level - width / 2.0, level + width / 2.0


def drag_window(
    start: tuple[float, float], dx_px: float, dy_px: float, value_lo: float, value_hi: float
) -> tuple[float, float]:
    """(width, level) after a right-drag of (dx, dy) screen pixels from `start`.

    The axial CT view's convention: right widens, up raises the level. The step follows the
    image's range (a CT's 4 HU per pixel would take a 16-bit film a whole screen per 1 %)."""
    span = max(value_hi - value_lo, 1e-6)
    width = max(min_width(value_lo, value_hi), start[0] + dx_px * span / DRAG_RANGE_PX)
    level = start[1] - dy_px * span / (2.0 * DRAG_RANGE_PX)
    return float(width), float(level)


def as_film(image: np.ndarray) -> np.ndarray:
    """The values as float32, once per image: what `render` reads (a NaN shows as the
    film's lowest value)."""
    film = np.asarray(image, dtype=np.float32)
    return np.nan_to_num(film, nan=value_range(film)[0]) if film.dtype.kind == "f" else film


def render(film: np.ndarray, width: float, level: float) -> np.ndarray:
    """The 8-bit picture of a window: (value - (level - width / 2)) * 255 / width, rounded and
    clamped to 0..255. OpenCV's `addWeighted` on float32 does a 2500 x 1214 film in about
    1 ms (numpy or a 65536-entry lookup table: 14-16 ms; pyqtgraph's own levels on 16-bit or
    float data: about 20 ms a step, more than a frame)."""
    alpha = 255.0 / max(float(width), 1e-12)
    beta = -(float(level) - float(width) / 2.0) * alpha
    return cv2.addWeighted(film, alpha, film, 0.0, beta, dtype=cv2.CV_8U)


def stored_pixels(image: np.ndarray) -> np.ndarray:
    """The radiograph as an 8- or 16-bit array to write as PNG, keeping its values.

    Whole numbers within 0..255 stay 8-bit and within 0..65535 16-bit, unchanged; anything
    else (rescaled DICOM values, floats) is mapped linearly onto 0..65535, which keeps 16
    bits of grey levels but not the original numbers."""
    a = np.asarray(image)
    lo, hi = value_range(a)
    whole = a.dtype.kind in "iub" or bool(np.all(np.mod(a[np.isfinite(a)], 1.0) == 0))
    if whole and lo >= 0 and hi <= 255:
        return a.astype(np.uint8)
    if whole and lo >= 0 and hi <= 65535:
        return a.astype(np.uint16)
    f = np.nan_to_num(a.astype(np.float64), nan=lo, posinf=hi, neginf=lo)
    scale = 65535.0 / (hi - lo) if hi > lo else 0.0
    return np.round((f - lo) * scale).astype(np.uint16)
