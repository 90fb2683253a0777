"""A film shown to the detector smaller, on a black canvas: partial views at the scale it learnt.

The body model sees every film scaled so that its long side is the model's `max_size`.
A whole spine then shows bodies of the size it was trained on; a lumbar film, or a crop
of a few vertebrae, shows them two or three times larger, and the detector finds half
bodies and pedicles instead (12 rows of T11..S1 cut from a held-out AASCE film: 26
detections, 5 numbered). Shown at 1/2.2 of that size on a black canvas of the same
shape, the same crop gave 6 bodies, all numbered right. A black border is what the
training films had around them wherever the shutters closed.

`detect.predict_radiograph` tries the factors of CANVAS_FACTORS in turn, stops at the
first view that left few bodies unnumbered (`is_clean`: a whole film stops at the first)
and keeps the view whose numbered chain is best (`view_quality`), a smaller one only
where its quality is positive. The factors and the share were set a priori, not fitted:
on the 44 held-out AASCE films, 42 are clean at the first view. Pure numpy and OpenCV.
"""

from __future__ import annotations

import cv2
import numpy as np

CANVAS_FACTORS: tuple[float, ...] = (1.0, 1.6, 2.5)  # how many times smaller the film is shown
# Stop trying smaller views once the unnumbered bodies' scores sum to at most this share
# of the numbered ones' (a whole film: C7 and S1 left out, ~0.1).
CLEAN_SHARE = 0.35

Box = tuple[int, int, int, int]  # (row, col, height, width) of the film on the canvas


def shrunk_on_canvas(image: np.ndarray, factor: float) -> tuple[np.ndarray, Box]:
    """`image` scaled by 1/`factor` and centred on a black canvas of its own shape."""
    h, w = image.shape[:2]
    if factor <= 1.0:
        return image, (0, 0, h, w)
    ih, iw = max(1, round(h / factor)), max(1, round(w / factor))
    canvas = np.zeros_like(image)
    r, c = (h - ih) // 2, (w - iw) // 2
    canvas[r : r + ih, c : c + iw] = cv2.resize(image, (iw, ih), interpolation=cv2.INTER_AREA)
    return canvas, (r, c, ih, iw)


def from_canvas(masks: np.ndarray, box: Box, shape: tuple[int, int]) -> np.ndarray:
    """Soft masks (n, H, W) on the canvas back on the film of `shape` (n, h, w)."""
    r, c, ih, iw = box
    h, w = shape
    if (r, c, ih, iw) == (0, 0, h, w):
        return masks
    out = np.zeros((len(masks), h, w), np.float32)
    for i, m in enumerate(masks):
        out[i] = cv2.resize(
            np.ascontiguousarray(m[r : r + ih, c : c + iw], np.float32),
            (w, h),
            interpolation=cv2.INTER_LINEAR,
        )
    return out


def view_quality(scores: np.ndarray, numbered: np.ndarray) -> float:
    """How well a view's bodies form one numbered spine: the scores of the numbered bodies
    less those of the bodies no chain took (fragments, duplicates, ribs)."""
    scores = np.asarray(scores, float)
    numbered = np.asarray(numbered, bool)
    return float(scores[numbered].sum() - scores[~numbered].sum())


def is_clean(scores: np.ndarray, numbered: np.ndarray) -> bool:
    """True when few bodies were left unnumbered: a smaller view will not do better."""
    scores = np.asarray(scores, float)
    numbered = np.asarray(numbered, bool)
    return bool(numbered.any()) and scores[~numbered].sum() <= CLEAN_SHARE * scores[numbered].sum()
