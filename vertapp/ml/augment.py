"""On-the-fly augmentation that keeps anatomy: partial views, small warps, intensity.

No vertical flip: it would put L5 above T1. A left-right flip only where
`cfg.hflip_prob` asks for it (AP radiographs, where it keeps every level and part
valid); on a lateral view or a MIP it would put the spinous processes in front.
"""

from __future__ import annotations

import cv2
import numpy as np

from vertapp.ml.config import TrainConfig


def partial_view(
    image: np.ndarray,
    masks: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    min_count: int = 4,
    max_count: int = 17,
    min_pixels: int = 20,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop rows so that k consecutive vertebrae (min_count <= k <= max_count) are shown whole.

    The cut rows are drawn between the neighbours' extents (in the disc gap where there
    is one), as in the paper's partial-FOV images.
    """
    n = len(labels)
    if n <= min_count:
        return image, masks, labels
    rows = [np.flatnonzero(m.any(axis=1)) for m in masks]
    order = np.argsort([r.mean() for r in rows])
    top = np.array([rows[i][0] for i in order])
    bottom = np.array([rows[i][-1] + 1 for i in order])
    k = int(rng.integers(min_count, min(max_count, n) + 1))
    start = int(rng.integers(0, n - k + 1))
    end = start + k - 1
    lo_min = bottom[start - 1] if start > 0 else 0
    hi_max = top[end + 1] if end + 1 < n else image.shape[0]
    r0 = int(rng.integers(min(lo_min, top[start]), top[start] + 1))
    r1 = int(rng.integers(bottom[end], max(hi_max, bottom[end]) + 1))
    # Neighbours reaching into the crop keep their visible part labelled (unlabelled
    # bone would teach "background"); slivers of a few pixels are dropped.
    crop_masks = masks[:, r0:r1]
    keep = crop_masks.sum(axis=(1, 2)) >= min_pixels
    return image[r0:r1], crop_masks[keep], labels[keep]


def random_affine(
    image: np.ndarray,
    masks: np.ndarray,
    rng: np.random.Generator,
    rotate_deg: float,
    scale_range: float,
    translate_frac: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Small rotation/scale/shift about the centre; masks warped with nearest neighbour."""
    h, w = image.shape
    angle = rng.uniform(-rotate_deg, rotate_deg)
    scale = 1.0 + rng.uniform(-scale_range, scale_range)
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, scale)
    m[:, 2] = m[:, 2] + rng.uniform(-translate_frac, translate_frac, 2) * (w, h)
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    warped = [
        cv2.warpAffine(mk.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0 for mk in masks
    ]
    return out, np.array(warped, bool).reshape(len(masks), h, w)


def random_intensity(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Contrast, brightness, gamma and noise on a float image in [0, 1]."""
    out = image * rng.uniform(0.8, 1.2) + rng.uniform(-0.08, 0.08)
    out = np.clip(out, 0.0, 1.0) ** rng.uniform(0.75, 1.33)
    out = out + rng.normal(0.0, rng.uniform(0.0, 0.03), out.shape)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def augment_sample(
    image: np.ndarray,
    masks: np.ndarray,
    labels: np.ndarray,
    cfg: TrainConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 image + masks -> float32 image in [0, 1] + masks + labels, augmented."""
    if cfg.augment and rng.random() < cfg.partial_view_prob:
        image, masks, labels = partial_view(
            image, masks, labels, rng, cfg.min_vertebrae, cfg.max_vertebrae
        )
    if cfg.augment:
        image, masks = random_affine(
            image, masks, rng, cfg.rotate_deg, cfg.scale_range, cfg.translate_frac
        )
        keep = masks.sum(axis=(1, 2)) >= 4
        masks, labels = masks[keep], labels[keep]
    if cfg.augment and cfg.hflip_prob > 0 and rng.random() < cfg.hflip_prob:
        image, masks = image[:, ::-1], masks[:, :, ::-1]
    img = image.astype(np.float32) / 255.0
    if cfg.augment:
        img = random_intensity(img, rng)
    return img, masks, labels
