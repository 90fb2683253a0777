"""The film's overall motion between the two films, from their image content.

Each vertebra is aligned on its own, paired with its twin by level. When the two films
are numbered differently (one a level off along the whole spine) every vertebra is
aligned onto its neighbour, and the per-vertebra motions all agree with each other: only
the images themselves can show it. `film_motion` registers the high-dose film onto the
low-dose one at low resolution (a vertebra ~12 px high), over the spine region (the
high-dose ZOIs' box grown by a vertebra height on every side: the ribs, pelvis and soft
tissue around the spine move with the patient, the film's frame and markers do not):

1. both films locally normalised (grain smoothed, the local mean removed and what is left
   divided by its local spread: the low dose's flatter grey scale drops out);
2. the best shift by template matching (`cv2.matchTemplate`, normalised correlation)
   within a quarter of the film's size: a patient who moved between the films is
   followed, whatever the vertebrae's numbers say;
   also with the high-dose film turned by -4, 0, 4 deg and scaled by 0.96, 1, 1.04 (a
   turn or a change of magnification between the films moves the ends of a long spine by
   half a vertebra or more);
3. refined to an affine motion by OpenCV's ECC from the best of those, kept only where it
   stays within half a vertebra of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from vertapp.xray.zoi import Zoi

TARGET_PX = 12.0  # a vertebra's height at the resolution the films are compared at
SEARCH_FRACTION = 0.25  # the shift searched within this share of the film's size
MIN_PEAK = 0.15  # a best match below this correlation says nothing about the film
MAX_REFINE_MOVE = 0.5  # ECC may move a point this many vertebra heights off the start
TURNS_DEG = (-4.0, 0.0, 4.0)  # the patient turned between the films ...
SCALES = (0.96, 1.0, 1.04)  # ... or stood nearer the detector: the starts searched


@dataclass(frozen=True)
class FilmMotion:
    matrix: np.ndarray  # 2x3, high-dose (col, row, 1) -> low-dose (col, row), full size
    peak: float  # the template match's normalised correlation


def heights(zois: Mapping[str, Zoi]) -> dict[str, float]:
    """Level -> the vertebra's height: its mask's extent (5th to 95th percentile) along the
    spine, the direction between its neighbours' centres (vertical with none)."""
    levels = list(zois)
    centres = np.array([zois[lv].centroid for lv in levels], float)
    out = {}
    for i, level in enumerate(levels):
        a, b = centres[max(i - 1, 0)], centres[min(i + 1, len(levels) - 1)]
        axis = b - a
        norm = float(np.hypot(*axis))
        axis = axis / norm if norm > 0 else np.array([0.0, 1.0])
        zoi = zois[level]
        rows, cols = np.nonzero(zoi.patch(zoi.mask))
        along = cols * axis[0] + rows * axis[1]
        lo, hi = np.percentile(along, [5, 95])
        out[level] = max(float(hi - lo), 1.0)
    return out


def film_motion(
    low: np.ndarray, high: np.ndarray, high_zois: Mapping[str, Zoi]
) -> FilmMotion | None:
    """The film's overall motion (see the module doc); None where the films' content does
    not tell it (a flat match, a spine region too small)."""
    h = float(np.median(list(heights(high_zois).values())))
    f = min(1.0, TARGET_PX / h)
    size = (max(int(round(low.shape[1] * f)), 1), max(int(round(low.shape[0] * f)), 1))
    if min(size) < 16:
        return None
    lo = _normalised(cv2.resize(np.asarray(low, np.float32), size, interpolation=cv2.INTER_AREA))
    hi = _normalised(cv2.resize(np.asarray(high, np.float32), size, interpolation=cv2.INTER_AREA))
    hs = h * f
    x0, y0, x1, y1 = _spine_box(high_zois, f, hs, size)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    best = _search(hi, lo, (x0, y0, x1, y1), max(size))
    if best is None:
        return None
    start, peak = best
    small = _refined(hi, lo, start, (x0, y0, x1, y1), hs)
    scale = np.array([[f, 0, 0], [0, f, 0], [0, 0, 1.0]])
    full = np.linalg.inv(scale) @ np.vstack([small, [0, 0, 1]]) @ scale
    return FilmMotion(full[:2], float(peak))


def _search(
    hi: np.ndarray, lo: np.ndarray, box: tuple[int, int, int, int], film: int
) -> tuple[np.ndarray, float] | None:
    """The best match of the high-dose spine box in the low-dose film over shifts within
    SEARCH_FRACTION of the film, turns of TURNS_DEG and scales of SCALES (about the box's
    centre): (the 2x3 motion, its normalised correlation), None if no match reaches
    MIN_PEAK."""
    x0, y0, x1, y1 = box
    r = int(np.ceil(SEARCH_FRACTION * film))
    padded = cv2.copyMakeBorder(lo, r, r, r, r, cv2.BORDER_CONSTANT, value=0.0)
    area = padded[y0 : y1 + 2 * r, x0 : x1 + 2 * r]
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    best: tuple[np.ndarray, float] | None = None
    for turn in TURNS_DEG:
        for scale in SCALES:
            # the high-dose film turned and scaled about the box's centre: its box, matched
            m = cv2.getRotationMatrix2D(centre, turn, scale)
            tpl = cv2.warpAffine(hi, m, (hi.shape[1], hi.shape[0]))[y0:y1, x0:x1]
            res = cv2.matchTemplate(area, tpl, cv2.TM_CCOEFF_NORMED)
            res = np.nan_to_num(res, nan=-1.0, posinf=-1.0, neginf=-1.0)
            _, peak, _, (bx, by) = cv2.minMaxLoc(res)
            if peak >= MIN_PEAK and (best is None or peak > best[1]):
                moved = m.copy()
                moved[:, 2] += (bx - r, by - r)
                best = (moved.astype(np.float32), float(peak))
    return best


def _normalised(img: np.ndarray) -> np.ndarray:
    """Grain smoothed, local mean removed, divided by the local spread (~2 vertebrae)."""
    img = cv2.GaussianBlur(img, (0, 0), 0.7)
    window = 0.5 * TARGET_PX
    d = img - cv2.GaussianBlur(img, (0, 0), window)
    spread = np.sqrt(cv2.GaussianBlur(d * d, (0, 0), 2 * window))
    floor = max(float(np.median(spread)) * 0.1, 1e-6)
    return np.asarray(d / np.maximum(spread, floor), np.float32)


def _spine_box(
    zois: Mapping[str, Zoi], f: float, grow: float, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    boxes = np.array([z.bbox for z in zois.values()], float) * f
    x0 = int(max(boxes[:, 0].min() - grow, 0))
    y0 = int(max(boxes[:, 1].min() - grow, 0))
    x1 = int(min((boxes[:, 0] + boxes[:, 2]).max() + grow, size[0]))
    y1 = int(min((boxes[:, 1] + boxes[:, 3]).max() + grow, size[1]))
    return x0, y0, x1, y1


def _refined(
    hi: np.ndarray, lo: np.ndarray, start: np.ndarray, box: tuple[int, int, int, int], hs: float
) -> np.ndarray:
    """ECC (affine) from `start` over the spine box; `start` where ECC fails or runs
    further than MAX_REFINE_MOVE vertebra heights from it at the box's corners."""
    x0, y0, x1, y1 = box
    # OpenCV reads the mask on the input (low-dose) image: the box where the start puts it
    box_mask = np.zeros(hi.shape, np.uint8)
    box_mask[y0:y1, x0:x1] = 1
    mask = cv2.warpAffine(box_mask, start, (lo.shape[1], lo.shape[0]), flags=cv2.INTER_NEAREST)
    if not mask.any():
        return start.astype(np.float64)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
    try:
        _, warp = cv2.findTransformECC(hi, lo, start.copy(), cv2.MOTION_AFFINE, crit, mask, 3)
    except cv2.error:
        return start.astype(np.float64)
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], float)
    moved = np.abs(corners @ (warp.astype(np.float64) - start).T).max()
    return warp.astype(np.float64) if moved <= MAX_REFINE_MOVE * hs else start.astype(np.float64)
