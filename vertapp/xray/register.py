"""Masked, multi-scale 2D similarity registration of one high-dose ZOI onto the low-dose image.

The high-dose crop is the template and its mask is the high-dose ZOI grown by a pixel: the
clean outline decides which pixels count, never the rough low-dose one. The low-dose crop
around where the start transform puts the ZOI is searched. Each pyramid level (down to a
ZOI of ~16 px) runs the robust Lucas-Kanade of `lucas_kanade.py` on locally normalised
images, with "no motion" as the competing explanation of every pixel (ribs and soft tissue
overlapping the vertebra stay put and would otherwise pull the estimate towards zero).
The result maps high-dose pixels to low-dose ones, as `alignment.json` stores it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vertapp.xray.lucas_kanade import local_normalise, refine
from vertapp.xray.similarity import Similarity, apply_matrix

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), pixels
GROW_FRACTION = 0.02  # fixed mask = ZOI grown by this share of its size ...
GROW_MIN_PX = 1  # ... and at least this many pixels (static tissue around a vertebra biases it)
NOISE_FRACTION = 0.03  # grain smoothing (Gaussian sigma), share of the ZOI size
WINDOW_FRACTION = 0.06  # local normalisation window (Gaussian sigma), share of the ZOI size
WINDOW_MIN_PX = 2.0  # ... and at least this many pixels of the level
USE_STATIC = True
STATIC_ALL = False
MAX_TURN_DEG = 10.0  # a level that turns the ZOI further than this is rejected ...
MAX_LOG_SCALE = 0.1  # ... and one that scales it by more than ~10 %
FINEST_PX = 64  # no level finer than a ZOI of this size: finer grids add time and blur, not detail
COARSEST_PX = 16  # the pyramid stops when the ZOI would be smaller than this


@dataclass(frozen=True)
class Registration:
    matrix: np.ndarray  # 2x3, high (col, row, 1) -> low (col, row)
    score: float  # normalised correlation of the aligned ZOIs (smoothed), in [-1, 1]


def grow_mask(mask: np.ndarray, px: int) -> np.ndarray:
    if px <= 0:
        return mask
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return np.asarray(cv2.dilate(mask.astype(np.uint8), k) > 0)


def fixed_mask(mask: np.ndarray) -> np.ndarray:
    size = float(np.sqrt(np.count_nonzero(mask)))
    return grow_mask(mask, max(GROW_MIN_PX, int(round(GROW_FRACTION * size))))


def mask_box(mask: np.ndarray, pad: int, shape: tuple[int, ...]) -> Box:
    rows, cols = np.nonzero(mask)
    return (
        max(int(cols.min()) - pad, 0),
        max(int(rows.min()) - pad, 0),
        min(int(cols.max()) + pad + 1, int(shape[1])),
        min(int(rows.max()) + pad + 1, int(shape[0])),
    )


def moved_box(box: Box, matrix: np.ndarray, margin: float, shape: tuple[int, ...]) -> Box:
    """The box around where `matrix` puts `box`, grown by `margin` pixels."""
    x0, y0, x1, y1 = box
    pts = apply_matrix(matrix, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    m = int(np.ceil(margin)) + 2
    return (
        max(int(np.floor(pts[:, 0].min())) - m, 0),
        max(int(np.floor(pts[:, 1].min())) - m, 0),
        min(int(np.ceil(pts[:, 0].max())) + m, int(shape[1])),
        min(int(np.ceil(pts[:, 1].max())) + m, int(shape[0])),
    )


def register_zoi(
    high: np.ndarray, low: np.ndarray, high_mask: np.ndarray, initial: Similarity, search_px: float
) -> Registration:
    """Refine `initial` (about the ZOI centroid) within ~`search_px`; see the module doc."""
    grown = fixed_mask(high_mask)
    size = float(np.sqrt(np.count_nonzero(high_mask)))
    ks = _shrinks(size)
    # context for the local normalisation at the coarsest level
    margin = int(np.ceil(3 * max(WINDOW_MIN_PX * ks[0], WINDOW_FRACTION * size))) + 2
    fbox = mask_box(grown, margin, high.shape)
    mbox = moved_box(fbox, initial.matrix, search_px + margin, low.shape)
    if mbox[2] - mbox[0] < 8 or mbox[3] - mbox[1] < 8:  # placed off the image
        return Registration(initial.matrix, -1.0)
    hx, hy = fbox[0], fbox[1]
    lx, ly = mbox[0], mbox[1]
    tcrop = np.asarray(high[fbox[1] : fbox[3], fbox[0] : fbox[2]], np.float32)
    icrop = np.asarray(low[mbox[1] : mbox[3], mbox[0] : mbox[2]], np.float32)
    mcrop = grown[fbox[1] : fbox[3], fbox[0] : fbox[2]]
    # full-image matrix -> crop matrix (template crop coords -> image crop coords)
    to_crop = _shift(-lx, -ly) @ _as3(initial.matrix) @ _shift(hx, hy)
    center = (initial.center[0] - hx, initial.center[1] - hy)
    for k in ks:
        d = np.array([[k, 0, (k - 1) / 2], [0, k, (k - 1) / 2], [0, 0, 1.0]])
        t, i, m = _level(tcrop, k), _level(icrop, k), _level(mcrop.astype(np.float32), k) > 0.5
        # smoothing relative to the ZOI: the same filtering of the anatomy at any pixel size
        noise = max(0.5, NOISE_FRACTION * size / k)
        window = max(WINDOW_MIN_PX, WINDOW_FRACTION * size / k)
        t = local_normalise(t, noise, window)
        i = local_normalise(i, noise, window)
        c = ((center[0] - (k - 1) / 2) / k, (center[1] - (k - 1) / 2) / k)
        lvl = np.linalg.inv(d) @ to_crop @ d
        still = np.linalg.inv(d) @ _shift(hx - lx, hy - ly) @ d
        # the "no motion" competitor only once the coarse levels have found the basin: from
        # a far start it can reinforce any drift (pixels explained by the drift gain weight)
        use_still = USE_STATIC and (k == ks[-1] or STATIC_ALL)
        lvl2, _ = refine(t, i, m, lvl[:2], c, still[:2] if use_still else None)
        refined = d @ _as3(lvl2) @ np.linalg.inv(d)
        if not _plausible(refined[:2], to_crop[:2], center):
            break  # a runaway level: keep what the coarser levels found
        to_crop = refined
    matrix = (_shift(lx, ly) @ to_crop @ _shift(-hx, -hy))[:2]
    return Registration(
        matrix, match_score(high, low, grown, mask_box(grown, 2, high.shape), matrix)
    )


def _plausible(matrix: np.ndarray, start: np.ndarray, center: tuple[float, float]) -> bool:
    """A level's result stays within the motions a patient makes between two exposures."""
    step = Similarity.from_matrix(_as3(matrix) @ np.linalg.inv(_as3(start)), center)
    return abs(step.angle_deg) <= MAX_TURN_DEG and abs(np.log(step.scale)) <= MAX_LOG_SCALE


def _as3(m: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(m, np.float64)[:2], [0.0, 0.0, 1.0]])


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _level(img: np.ndarray, k: int) -> np.ndarray:
    if k == 1:
        return img
    h, w = (img.shape[0] // k) * k, (img.shape[1] // k) * k
    # whole k x k blocks only: INTER_AREA to a size that is not exactly 1/k would stretch
    # the grid and shift every coordinate a little
    return cv2.resize(img[:h, :w], (w // k, h // k), interpolation=cv2.INTER_AREA)


def _shrinks(size_px: float) -> list[int]:
    """Pyramid factors, coarse to fine, down to a ZOI of ~COARSEST_PX pixels."""
    finest = 1
    while size_px / finest > FINEST_PX:
        finest *= 2
    shrinks = [finest]
    while size_px / (shrinks[-1] * 2) >= COARSEST_PX and len(shrinks) < 5:
        shrinks.append(shrinks[-1] * 2)
    return shrinks[::-1]


def match_score(
    high: np.ndarray, low: np.ndarray, grown: np.ndarray, fbox: Box, matrix: np.ndarray
) -> float:
    """Normalised correlation, inside the grown ZOI, of the high-dose crop and the low-dose
    image pulled back by `matrix`; both smoothed by ~2 % of the ZOI size against grain."""
    x0, y0, x1, y1 = fbox
    to_crop = np.asarray(matrix, dtype=np.float64).copy()
    to_crop[:, 2] += to_crop[:, :2] @ np.array([x0, y0], dtype=np.float64)
    pulled = cv2.warpAffine(
        np.asarray(low, dtype=np.float32),
        to_crop,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    sigma = max(1.0, 0.02 * np.sqrt(np.count_nonzero(grown)))
    a = cv2.GaussianBlur(np.asarray(high[y0:y1, x0:x1], np.float32), (0, 0), sigma)
    b = cv2.GaussianBlur(pulled, (0, 0), sigma)
    m = grown[y0:y1, x0:x1]
    av, bv = a[m] - a[m].mean(), b[m] - b[m].mean()
    den = float(np.sqrt((av * av).sum() * (bv * bv).sum()))
    return float((av * bv).sum() / den) if den > 0 else 0.0


def translation_search(
    high: np.ndarray, low: np.ndarray, high_mask: np.ndarray, guess: Similarity, search_px: float
) -> Similarity:
    """The best whole-pixel shift of `guess` within `search_px` by masked template matching
    on smoothed images (the fallback's wide search before the fine registration)."""
    grown = fixed_mask(high_mask)
    fbox = mask_box(grown, 0, high.shape)
    x0, y0, x1, y1 = fbox
    sigma = max(1.0, 0.04 * np.sqrt(np.count_nonzero(high_mask)))
    # the template is the high-dose ZOI already turned and scaled as the guess says
    m = guess.matrix.copy()
    warped_hi = cv2.warpAffine(np.asarray(high, np.float32), m, (low.shape[1], low.shape[0]))
    warped_mask = cv2.warpAffine(grown.astype(np.uint8), m, (low.shape[1], low.shape[0])) > 0
    if not warped_mask.any():
        return guess
    tb = mask_box(warped_mask, 0, low.shape)
    tpl = cv2.GaussianBlur(warped_hi, (0, 0), sigma)[tb[1] : tb[3], tb[0] : tb[2]]
    tmask = warped_mask[tb[1] : tb[3], tb[0] : tb[2]].astype(np.float32)
    r = int(np.ceil(search_px))
    sb = (
        max(tb[0] - r, 0),
        max(tb[1] - r, 0),
        min(tb[2] + r, low.shape[1]),
        min(tb[3] + r, low.shape[0]),
    )
    area = cv2.GaussianBlur(np.asarray(low, np.float32), (0, 0), sigma)[
        sb[1] : sb[3], sb[0] : sb[2]
    ]
    if area.shape[0] < tpl.shape[0] or area.shape[1] < tpl.shape[1]:
        return guess
    res = cv2.matchTemplate(area, tpl, cv2.TM_CCOEFF_NORMED, mask=tmask)
    res = np.nan_to_num(res, nan=-1.0, posinf=-1.0, neginf=-1.0)
    _, _, _, (bx, by) = cv2.minMaxLoc(res)
    dx, dy = sb[0] + bx - tb[0], sb[1] + by - tb[1]
    del x0, y0, x1, y1
    return Similarity(
        guess.angle_deg, guess.scale, (guess.shift[0] + dx, guess.shift[1] + dy), guess.center
    )
