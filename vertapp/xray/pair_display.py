"""What the pair view draws, as 8-bit grey arrays (Qt-free): each image on a fixed grey
range, and the check view mixing the low-dose and the fused image by a blend weight or as a
checkerboard. Region updates keep a nudge's redraw to the pixels it changed."""

from __future__ import annotations

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1


def grey_range(image: np.ndarray) -> tuple[float, float]:
    """The 0.5-99.5 % range (a marker or collimator edge does not flatten the bone), taken on
    a subsample: the range of a 2500 x 1000 image does not need every pixel."""
    step = max(1, int(np.sqrt(image.size / 250_000)))
    lo, hi = np.percentile(image[::step, ::step], [0.5, 99.5])
    return float(lo), float(max(hi, lo + 1e-6))


def to_u8(image: np.ndarray, grey: tuple[float, float]) -> np.ndarray:
    lo, hi = grey
    scaled = (np.asarray(image, np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def mix(low8: np.ndarray, fused8: np.ndarray, weight: float, tile: int = 0) -> np.ndarray:
    """The check image: `weight` of the fused image over the low-dose one, or with `tile` > 0
    alternating tiles of the two (misaligned edges break at the tile borders)."""
    if tile > 0:
        rows, cols = np.ogrid[: low8.shape[0], : low8.shape[1]]
        pick = ((rows // tile) + (cols // tile)) % 2 == 1
        return np.where(pick, fused8, low8)
    return cv2.addWeighted(fused8, weight, low8, 1.0 - weight, 0.0)


def mix_region(
    out: np.ndarray, low8: np.ndarray, fused8: np.ndarray, weight: float, tile: int, box: Box
) -> None:
    """`mix` redone inside `box` of `out` only (the checkerboard stays in phase)."""
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return
    if tile > 0:
        rows, cols = np.ogrid[y0:y1, x0:x1]
        pick = ((rows // tile) + (cols // tile)) % 2 == 1
        out[y0:y1, x0:x1] = np.where(pick, fused8[y0:y1, x0:x1], low8[y0:y1, x0:x1])
    else:
        out[y0:y1, x0:x1] = cv2.addWeighted(
            fused8[y0:y1, x0:x1], weight, low8[y0:y1, x0:x1], 1.0 - weight, 0.0
        )
