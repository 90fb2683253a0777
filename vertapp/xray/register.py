"""Masked, multi-scale 2D similarity registration of one high-dose ZOI onto the low-dose image.

SimpleITK does the work: the high-dose crop is the *fixed* image (ITK transforms map fixed
points to moving points, so the result maps high-dose pixels to low-dose ones, which is what
`alignment.json` stores), the low-dose crop the *moving* one, and the fixed mask is the
high-dose ZOI grown by a few pixels: the clean outline decides which pixels count, never the
rough low-dose one. The metric is ANTs' neighbourhood correlation: a local normalised
correlation, blind to the low-dose image's flatter grey scale and, unlike one correlation
over the whole ZOI, not dominated by static structures (ribs, soft tissue) that overlap the
vertebra and do not move with it. The pyramid's smoothing averages the grain away.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import SimpleITK as sitk

from vertapp.xray.similarity import Similarity, apply_matrix

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), pixels
GROW_FRACTION = 0.1  # fixed mask = ZOI grown by this share of its size (at least 3 px)
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
    return grow_mask(mask, max(3, int(round(GROW_FRACTION * size))))


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


def _crop(image: np.ndarray, box: Box) -> sitk.Image:
    """A crop that keeps full-image pixel coordinates as its physical space."""
    x0, y0, x1, y1 = box
    img = sitk.GetImageFromArray(np.ascontiguousarray(image[y0:y1, x0:x1], dtype=np.float32))
    img.SetOrigin((float(x0), float(y0)))
    return img


def _levels(size_px: float) -> tuple[list[int], list[float]]:
    """Pyramid shrink factors down to a coarsest ZOI of ~COARSEST_PX, with their smoothing."""
    shrinks = [1]
    while size_px / (shrinks[-1] * 2) >= COARSEST_PX and len(shrinks) < 4:
        shrinks.append(shrinks[-1] * 2)
    shrinks.reverse()
    return shrinks, [max(0.5 * s, 1.0) for s in shrinks]


def register_zoi(
    high: np.ndarray, low: np.ndarray, high_mask: np.ndarray, initial: Similarity, search_px: float
) -> Registration:
    """Refine `initial` (about the ZOI centroid) within ~`search_px`; see the module doc."""
    grown = fixed_mask(high_mask)
    fbox = mask_box(grown, 2, high.shape)
    mbox = moved_box(fbox, initial.matrix, search_px, low.shape)
    if mbox[2] - mbox[0] < 8 or mbox[3] - mbox[1] < 8:  # placed off the image
        return Registration(initial.matrix, -1.0)
    fixed, moving = _crop(high, fbox), _crop(low, mbox)
    fmask = sitk.Cast(_crop(grown.astype(np.float32), fbox), sitk.sitkUInt8)
    tx = sitk.Similarity2DTransform()
    tx.SetCenter(initial.center)
    # ITK's angle turns clockwise as displayed (rows grow downwards): the opposite of ours
    tx.SetAngle(-np.deg2rad(initial.angle_deg))
    tx.SetScale(initial.scale)
    tx.SetTranslation(initial.shift)
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsANTSNeighborhoodCorrelation(2)
    reg.SetMetricFixedMask(fmask)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-3, numberOfIterations=60, relaxationFactor=0.6
    )
    reg.SetOptimizerScalesFromPhysicalShift()
    shrinks, sigmas = _levels(float(np.sqrt(np.count_nonzero(high_mask))))
    reg.SetShrinkFactorsPerLevel(shrinks)
    reg.SetSmoothingSigmasPerLevel(sigmas)
    reg.SetSmoothingSigmasAreSpecifiedInPhysicalUnits(False)
    reg.SetInitialTransform(tx, inPlace=True)
    try:
        reg.Execute(fixed, moving)
    except RuntimeError:  # ITK gives up when too few samples stay inside the moving crop
        return Registration(initial.matrix, -1.0)
    matrix = _itk_matrix(tx)
    return Registration(matrix, match_score(high, low, grown, fbox, matrix))


def _itk_matrix(tx: sitk.Similarity2DTransform) -> np.ndarray:
    a = np.array(tx.GetMatrix()).reshape(2, 2)
    c = np.array(tx.GetCenter())
    t = np.array(tx.GetTranslation())
    return np.hstack([a, (c + t - a @ c)[:, None]])


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
