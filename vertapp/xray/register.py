"""Masked, multi-scale 2D similarity registration of one high-dose ZOI onto the low-dose image.

The high-dose crop is the template and its mask is the high-dose ZOI grown by a pixel: the
clean outline decides which pixels count, never the rough low-dose one. The low-dose crop
around where the start transform puts the ZOI is searched. Each pyramid level (down to a
ZOI of ~16 px) runs the robust Lucas-Kanade of `lucas_kanade.py` on locally normalised
images; the two finest levels separate the static layer (`static_layer.py`: ribs and
soft tissue that overlap the vertebra stay put and would otherwise pull the estimate
towards zero): the coarser of the two finds the vertebra's basin with the ribs taken out,
the finer one reads the edges at up to 128 px per ZOI.
The result maps high-dose pixels to low-dose ones, as `alignment.json` stores it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vertapp.xray.lucas_kanade import local_normalise, refine
from vertapp.xray.similarity import Similarity, apply_matrix
from vertapp.xray.static_layer import refine_two_layers
from vertapp.xray.zoi import Zoi

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), pixels
GROW_FRACTION = 0.02  # fixed mask = ZOI grown by this share of its size ...
GROW_MIN_PX = 1  # ... and at least this many pixels (static tissue around a vertebra biases it)
# grain smoothing, Gaussian sigma in pixels of the level: just the pixel grain. The pyramid's
# block averages already smooth the grain at the ZOI's scale; more blur merges the edges of
# the ribs with the vertebra's, which the static layer must tell apart (0.4 mm synthetic:
# 3 % of the ZOI size gave a median corner error of 0.78 px, this 0.45 px)
GRAIN_SIGMA = 0.5
WINDOW_FRACTION = 0.06  # local normalisation window (Gaussian sigma), share of the ZOI size
WINDOW_MIN_PX = 2.0  # ... and at least this many pixels of the level
USE_STATIC = True  # static layer separated at the finest levels (see static_layer.py) ...
STATIC_LEVELS = 2  # ... this many of them, the coarser one only where the ZOI spans at
STATIC_MIN_PX = 32  # least this many pixels (at ~20 px ribs and vertebra edges merge: 1 mm
# synthetic pairs turned a T10 by 10 deg instead of 3)
MAX_TURN_DEG = 10.0  # a level that turns the ZOI further than this is rejected ...
MAX_LOG_SCALE = 0.1  # ... and one that scales it by more than ~10 %
# no level finer than a ZOI of this size. At 64 (one static level) the corner error grew
# with the pixel count: native 0.2 mm synthetic pairs (1262 x 2600 px) median / p95 0.99 /
# 4.39 px; 128 with the static layer on the last two levels: 0.57 / 2.42 px (0.4 mm pairs
# 0.49 / 2.25 -> 0.33 / 1.47, real AASCE pairs 0.40 / 1.17 -> 0.35 / 0.86) for ~0.6 CPU s a
# pair; 256 cost ~2 CPU s a pair
FINEST_PX = 128
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


def zoi_patch(zoi: Zoi, pad: int, shape: tuple[int, ...]) -> tuple[np.ndarray, Box]:
    """The ZOI mask grown by GROW_* pixels, cut to its box padded by `pad` (plus the growth),
    and that box: all the registration needs, without touching the rest of the image."""
    grow = max(GROW_MIN_PX, int(round(GROW_FRACTION * zoi.size_px)))
    x, y, w, h = zoi.bbox
    m = pad + grow
    box = (
        max(x - m, 0),
        max(y - m, 0),
        min(x + w + m, int(shape[1])),
        min(y + h + m, int(shape[0])),
    )
    patch = zoi.mask[box[1] : box[3], box[0] : box[2]]
    return grow_mask(patch, grow), box


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
    high: np.ndarray, low: np.ndarray, zoi: Zoi, initial: Similarity, search_px: float
) -> Registration:
    """Refine `initial` (about the ZOI centroid) within ~`search_px`; see the module doc."""
    size = zoi.size_px
    ks = _shrinks(size)
    # context for the local normalisation at the coarsest level
    margin = int(np.ceil(3 * max(WINDOW_MIN_PX * ks[0], WINDOW_FRACTION * size))) + 2
    mcrop, fbox = zoi_patch(zoi, margin, high.shape)
    mbox = moved_box(fbox, initial.matrix, search_px, low.shape)
    if mbox[2] - mbox[0] < 8 or mbox[3] - mbox[1] < 8:  # placed off the image
        return Registration(initial.matrix, -1.0)
    hx, hy = fbox[0], fbox[1]
    lx, ly = mbox[0], mbox[1]
    tcrop = np.asarray(high[fbox[1] : fbox[3], fbox[0] : fbox[2]], np.float32)
    icrop = np.asarray(low[mbox[1] : mbox[3], mbox[0] : mbox[2]], np.float32)
    # full-image matrix -> crop matrix (template crop coords -> image crop coords)
    to_crop = _shift(-lx, -ly) @ _as3(initial.matrix) @ _shift(hx, hy)
    center = (initial.center[0] - hx, initial.center[1] - hy)
    for k in ks:
        d = np.array([[k, 0, (k - 1) / 2], [0, k, (k - 1) / 2], [0, 0, 1.0]])
        t, i, m = _level(tcrop, k), _level(icrop, k), _level(mcrop.astype(np.float32), k) > 0.5
        # the contrast window relative to the ZOI: the same anatomy at any pixel size
        window = max(WINDOW_MIN_PX, WINDOW_FRACTION * size / k)
        t = local_normalise(t, GRAIN_SIGMA, window)
        i = local_normalise(i, GRAIN_SIGMA, window)
        c = ((center[0] - (k - 1) / 2) / k, (center[1] - (k - 1) / 2) / k)
        lvl = np.linalg.inv(d) @ to_crop @ d
        still = np.linalg.inv(d) @ _shift(hx - lx, hy - ly) @ d
        # the static layer only once the coarse levels have found the basin: from a far
        # start, "no motion" can claim the vertebra's own edges
        if _static_at(k, ks, size):
            lvl2 = refine_two_layers(t, i, m, lvl[:2], c, still[:2])
        else:
            lvl2, _ = refine(t, i, m, lvl[:2], c)
        refined = d @ _as3(lvl2) @ np.linalg.inv(d)
        if not _plausible(refined[:2], to_crop[:2], center):
            break  # a runaway level: keep what the coarser levels found
        to_crop = refined
    matrix = (_shift(lx, ly) @ to_crop @ _shift(-hx, -hy))[:2]
    return Registration(matrix, match_score(high, low, mcrop, fbox, matrix))


def _static_at(k: int, ks: list[int], size: float) -> bool:
    """Whether pyramid level `k` (of `ks`, coarse to fine) separates the static layer."""
    if not USE_STATIC:
        return False
    return k == ks[-1] or (k in ks[-STATIC_LEVELS:] and size / k >= STATIC_MIN_PX)


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
    high: np.ndarray, low: np.ndarray, mask: np.ndarray, fbox: Box, matrix: np.ndarray
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
    sigma = max(1.0, 0.02 * np.sqrt(np.count_nonzero(mask)))
    a = cv2.GaussianBlur(np.asarray(high[y0:y1, x0:x1], np.float32), (0, 0), sigma)
    b = cv2.GaussianBlur(pulled, (0, 0), sigma)
    m = mask
    av, bv = a[m] - a[m].mean(), b[m] - b[m].mean()
    den = float(np.sqrt((av * av).sum() * (bv * bv).sum()))
    return float((av * bv).sum() / den) if den > 0 else 0.0


def translation_search(
    high: np.ndarray, low: np.ndarray, zoi: Zoi, guess: Similarity, search_px: float
) -> Similarity:
    """The best whole-pixel shift of `guess` within `search_px` by masked template matching
    on smoothed images (a wider search than the refinement's, from a doubtful start)."""
    sigma = max(1.0, 0.04 * zoi.size_px)
    mask, fbox = zoi_patch(zoi, int(np.ceil(3 * sigma)), high.shape)
    tb = moved_box(fbox, guess.matrix, 0, low.shape)
    size = (tb[2] - tb[0], tb[3] - tb[1])
    if min(size) < 8:
        return guess
    # the template: the high-dose ZOI already turned and scaled as the guess says
    to_tb = _shift(-tb[0], -tb[1]) @ _as3(guess.matrix)
    tpl = cv2.warpAffine(np.asarray(high, np.float32), to_tb[:2], size)
    tmask = cv2.warpAffine(mask.astype(np.float32), (to_tb @ _shift(fbox[0], fbox[1]))[:2], size)
    tpl = cv2.GaussianBlur(tpl, (0, 0), sigma)
    r = int(np.ceil(search_px))
    sb = (
        max(tb[0] - r, 0),
        max(tb[1] - r, 0),
        min(tb[2] + r, low.shape[1]),
        min(tb[3] + r, low.shape[0]),
    )
    area = np.asarray(low[sb[1] : sb[3], sb[0] : sb[2]], np.float32)
    if area.shape[0] < size[1] or area.shape[1] < size[0] or not (tmask > 0.5).any():
        return guess
    blurred = cv2.GaussianBlur(area, (0, 0), sigma)
    res = cv2.matchTemplate(
        blurred, tpl, cv2.TM_CCOEFF_NORMED, mask=(tmask > 0.5).astype(np.float32)
    )
    res = np.nan_to_num(res, nan=-1.0, posinf=-1.0, neginf=-1.0)
    _, _, _, (bx, by) = cv2.minMaxLoc(res)
    dx, dy = sb[0] + bx - tb[0], sb[1] + by - tb[1]
    return Similarity(
        guess.angle_deg, guess.scale, (guess.shift[0] + dx, guess.shift[1] + dy), guess.center
    )
