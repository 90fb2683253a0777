"""Robust inverse-compositional Lucas-Kanade for one 2D similarity (Baker & Matthews 2004).

Why by hand: OpenCV's ECC has no similarity motion (Euclidean lacks scale, affine has two
extra degrees of freedom) and no robust weights; SimpleITK's registration has both metric
and transform but runs ~10x slower per vertebra and cannot down-weight outliers. Here:

- both images are *locally normalised* first (local mean removed, divided by the local
  standard deviation over a few pixels): the low-dose image's flatter grey scale and the
  slow soft-tissue gradients drop out, like a local normalised correlation;
- the template is the high-dose crop (its gradients are clean, and the inverse-compositional
  scheme computes them and the Hessian once per level);
- Tukey weights, rescaled each iteration from the residuals' median absolute deviation,
  drop the pixels that no similarity explains.

Ribs and soft tissue that overlap the vertebra but stay put are a second, static layer:
`static_layer.py` takes it out of both images before this step at the finest level.
"""

from __future__ import annotations

import cv2
import numpy as np

TUKEY_C = 4.685  # 95 % efficiency under Gaussian noise
MAX_STEP_LINEAR = 0.02  # per iteration: ~1.1 deg of turn or 2 % of scale
MAX_STEP_PX = 2.0  # per iteration, pixels of the pyramid level
STOP_PX = 1e-2  # converged: a step under this (px of the level; x 0.01 for turn and scale)


def local_normalise(image: np.ndarray, noise_sigma: float, window_sigma: float) -> np.ndarray:
    """Grain smoothed, local mean removed, divided by the local spread of what is left."""
    img = cv2.GaussianBlur(np.asarray(image, np.float32), (0, 0), noise_sigma)
    detail = img - cv2.GaussianBlur(img, (0, 0), window_sigma)
    # the spread of the detail itself (not the raw variance about the local mean): a slow
    # gradient under the window (soft tissue, the heel effect) does not count as contrast
    std = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), window_sigma))
    floor = max(float(np.percentile(std, 50)) * 0.2, 1e-6)
    return np.asarray(detail / np.maximum(std, floor), np.float32)


def _as3(m: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(m, np.float64), [0.0, 0.0, 1.0]])


def refine(
    template: np.ndarray,
    image: np.ndarray,
    mask: np.ndarray,
    matrix: np.ndarray,
    center: tuple[float, float],
    iterations: int = 40,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Refine `matrix` (template pixel (col, row, 1) -> image (col, row)) on one level.

    `template`, `mask`: the high-dose crop (both normalised images share the template's
    pixel grid origin at 0, 0); `image`: the low-dose image in the same coordinates.
    `weights` (template-sized, optional) multiply each pixel's robust weight.
    Returns (matrix, robust RMS residual)."""
    rows, cols = np.nonzero(mask)
    if rows.size < 12:
        return matrix, float("inf")
    gx = cv2.Sobel(template, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)[rows, cols]
    gy = cv2.Sobel(template, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)[rows, cols]
    x = cols - center[0]
    y = rows - center[1]
    # warp increment about `center`: [[1 + a, b], [-b, 1 + a]] (p - c) + c + t
    jac = np.stack([gx * x + gy * y, gx * y - gy * x, gx, gy], axis=1).astype(np.float64)
    tvals = template[rows, cols].astype(np.float64)
    m = _as3(matrix)
    sigma = None
    for _ in range(iterations):
        r = _sample(image, m[:2], template.shape, rows, cols) - tvals
        mad = float(np.median(np.abs(r - np.median(r)))) * 1.4826
        sigma = max(mad, 1e-6)
        u = r / (TUKEY_C * sigma)
        w = np.where(np.abs(u) < 1, (1 - u * u) ** 2, 0.0)
        if weights is not None:
            w = w * weights[rows, cols]
        jw = jac * w[:, None]
        h = jw.T @ jac + np.eye(4) * 1e-6 * max(float(np.trace(jw.T @ jac)), 1e-12)
        dp = np.linalg.solve(h, jw.T @ r)
        # trust region: a Gauss-Newton step on grainy data can overshoot into a far,
        # wrong optimum (a neighbour's edge); small steps keep the search local
        a, b = np.clip(dp[:2], -MAX_STEP_LINEAR, MAX_STEP_LINEAR)
        tx, ty = np.clip(dp[2:], -MAX_STEP_PX, MAX_STEP_PX)
        cx, cy = center
        inc = np.array(
            [
                [1 + a, b, tx + cx - (1 + a) * cx - b * cy],
                [-b, 1 + a, ty + cy + b * cx - (1 + a) * cy],
                [0, 0, 1],
            ]
        )
        m = m @ np.linalg.inv(inc)
        if np.hypot(tx, ty) < STOP_PX and abs(a) < STOP_PX * 1e-2 and abs(b) < STOP_PX * 1e-2:
            break
    return m[:2], float(sigma if sigma is not None else np.inf)


def warp_back(image: np.ndarray, matrix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`image` pulled onto a grid of `shape` whose pixel p sits at `matrix` p in `image`."""
    return np.asarray(
        cv2.warpAffine(
            image,
            np.asarray(matrix, np.float64)[:2],
            (int(shape[1]), int(shape[0])),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        ),
        np.float32,
    )


def _sample(
    image: np.ndarray,
    matrix: np.ndarray,
    shape: tuple[int, ...],
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """`image` at the template pixels (rows, cols) mapped by `matrix`."""
    return np.asarray(warp_back(image, matrix, shape)[rows, cols], np.float64)
