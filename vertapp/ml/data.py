"""torch Dataset over `Sample`s: augmented views and the targets each architecture needs."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from vertapp.ml.augment import augment_sample
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample
from vertapp.ml.predict import unet_geometry


class ViewDataset(Dataset):
    """`views_per_image` augmented views of each sample per epoch (index -> sample i % n).

    Each item's randomness is seeded by (seed, epoch, index), so a resumed run and every
    DDP rank draw the same views for the same indices.

    Mixing: with `n_real`, samples[:n_real] are real scans and the rest phantoms, and
    `cfg.real_share` of each epoch's views come from the real ones (None: in proportion
    to the image counts). A few real scans among many phantoms would otherwise be seen
    too rarely to matter, and many real scans would drown the phantoms' full label range.
    """

    def __init__(
        self,
        samples: list[Sample],
        cfg: TrainConfig,
        *,
        train: bool = True,
        n_real: int | None = None,
    ) -> None:
        self.samples = samples
        self.cfg = cfg
        self.train = train
        self.n_real = n_real
        self._plan: np.ndarray | None = None
        self.epoch = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    @epoch.setter
    def epoch(self, value: int) -> None:
        self._epoch = value
        mixing = self.train and self.n_real is not None and self.cfg.real_share is not None
        self._plan = self._mix_plan() if mixing else None

    def _mix_plan(self) -> np.ndarray:
        """Sample index of every view of this epoch (same on every rank, seeded by epoch)."""
        rng = np.random.default_rng([self.cfg.seed, self._epoch, 7])
        n_real = int(self.n_real or 0)
        return mix_plan(n_real, len(self.samples) - n_real, len(self), self.cfg.real_share, rng)

    def __len__(self) -> int:
        return len(self.samples) * (self.cfg.views_per_image if self.train else 1)

    def sample_index(self, index: int) -> int:
        """Which sample the view `index` of this epoch shows."""
        return index % len(self.samples) if self._plan is None else int(self._plan[index])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        s = self.samples[self.sample_index(index)]
        rng = np.random.default_rng([self.cfg.seed, self.epoch, index])
        if self.train:
            img, masks, labels = augment_sample(s.image, s.masks, s.labels, self.cfg, rng)
        else:
            img, masks, labels = s.image.astype(np.float32) / 255.0, s.masks, s.labels
        if self.cfg.arch == "unet":
            return unet_item(img, masks, labels, self.cfg)
        return maskrcnn_item(img, masks, labels)


def mix_plan(
    n_real: int, n_phantom: int, views: int, real_share: float | None, rng: np.random.Generator
) -> np.ndarray:
    """Sample indices for `views` views: round(real_share * views) from the first `n_real`
    samples, the rest from the `n_phantom` after them, each group cycled through a random
    order so every image of a group is used equally often (+-1)."""
    if n_real == 0 or n_phantom == 0:
        share = 1.0 if n_real else 0.0
    elif real_share is None:
        share = n_real / (n_real + n_phantom)
    else:
        share = real_share
    k = int(round(share * views))
    real = np.resize(rng.permutation(n_real), k).astype(np.int64)
    phantom = n_real + np.resize(rng.permutation(n_phantom), views - k).astype(np.int64)
    plan = np.concatenate([real, phantom])
    rng.shuffle(plan)
    return plan


def maskrcnn_item(
    img: np.ndarray, masks: np.ndarray, labels: np.ndarray
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    boxes = np.zeros((len(masks), 4), np.float32)
    for i, m in enumerate(masks):
        rows = np.flatnonzero(m.any(axis=1))
        cols = np.flatnonzero(m.any(axis=0))
        boxes[i] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    image = torch.from_numpy(np.ascontiguousarray(img))[None].expand(3, -1, -1).contiguous()
    target = {
        "boxes": torch.from_numpy(boxes),
        "labels": torch.from_numpy(labels.astype(np.int64)),
        "masks": torch.from_numpy(masks.astype(np.uint8)),
    }
    return image, target


def semantic_target(masks: np.ndarray, labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, np.int64)
    for m, lab in zip(masks, labels, strict=True):
        out[m] = lab
    return out


def unet_item(
    img: np.ndarray, masks: np.ndarray, labels: np.ndarray, cfg: TrainConfig
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    h, w = img.shape
    nh, nw = unet_geometry((h, w), cfg)
    sem = semantic_target(masks, labels, (h, w)).astype(np.uint8)
    x = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    y = cv2.resize(sem, (nw, nh), interpolation=cv2.INTER_NEAREST)
    return torch.from_numpy(x)[None], {"semantic": torch.from_numpy(y.astype(np.int64))}


def collate(batch: list[Any]) -> tuple[Any, ...]:
    return tuple(zip(*batch, strict=True))


def pad_unet_batch(
    images: tuple[torch.Tensor, ...], targets: tuple[dict[str, torch.Tensor], ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-size U-Net items by zero padding (padding counts as background)."""
    h = max(im.shape[-2] for im in images)
    w = max(im.shape[-1] for im in images)
    x = torch.zeros(len(images), 1, h, w)
    y = torch.zeros(len(images), h, w, dtype=torch.int64)
    for i, (im, t) in enumerate(zip(images, targets, strict=True)):
        x[i, :, : im.shape[-2], : im.shape[-1]] = im
        y[i, : im.shape[-2], : im.shape[-1]] = t["semantic"]
    return x, y
