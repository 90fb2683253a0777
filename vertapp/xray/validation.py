"""Radiograph body models scored as the evaluation scores them: on the numbered bodies.

The engine's default validation (`vertapp.ml.train.validate`) labels each detection by
its top class and keeps it if that class alone clears the score threshold. An
undertrained 17-level head splits a body between neighbouring levels, so almost nothing
clears it, validation stays near 0 and the "best" epoch is noise. Here each validation
image goes through `detect.predict_radiograph`, the path of `vertapp xray zoi --model`
and of the held-out evaluation: body score over all levels, overlap suppression, levels
from the ordering step. Two figures come out of the same detections:

- per-level Dice and identification (DESIGN.md): a body counts only under its own level;
- level-free Dice: each true body against the predicted body that overlaps it most,
  whatever its level (is the body found and outlined, apart from its number).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from vertapp.ml.checkpoint import LoadedModel
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample
from vertapp.ml.metrics import VertebraScore, score_image, union_by_label
from vertapp.xray.detect import FoundPart, predict_radiograph
from vertapp.xray.parts import BODY, class_part_level


def body_scores(
    gt_masks: Sequence[np.ndarray],
    gt_levels: Sequence[str],
    found: Sequence[FoundPart],
    spacing: tuple[float, float] = (1.0, 1.0),
    image_id: int = 0,
) -> tuple[list[VertebraScore], list[float]]:
    """(per-level scores, level-free Dice per true body) of the predicted bodies of one image."""
    bodies = [f for f in found if f.part == BODY]
    shape = gt_masks[0].shape if len(gt_masks) else (0, 0)
    gt = union_by_label(list(gt_masks), list(gt_levels), shape)
    pr = union_by_label([f.mask for f in bodies], [f.level for f in bodies], shape)
    scores = score_image(gt, pr, spacing, image_id)[0] if len(gt_masks) else []
    level_free = [_best_dice(g, bodies) for g in gt_masks]
    return scores, level_free


def _best_dice(gt: np.ndarray, bodies: Sequence[FoundPart]) -> float:
    """Dice of `gt` with the body that overlaps it most (0 when none does)."""
    inter = [np.logical_and(gt, b.mask).sum() for b in bodies]
    if not inter or max(inter) == 0:
        return 0.0
    b = bodies[int(np.argmax(inter))]
    return float(2 * max(inter) / (gt.sum() + b.mask.sum()))


def summarise(scores: Sequence[VertebraScore], level_free: Sequence[float]) -> dict[str, float]:
    """Mean per-level Dice, identification rate and mean level-free Dice (0 when empty)."""
    return {
        "val_mean_dice": float(np.mean([s.dice for s in scores])) if scores else 0.0,
        "val_identification_rate": (
            float(np.mean([s.identified for s in scores])) if scores else 0.0
        ),
        "val_level_free_dice": float(np.mean(level_free)) if level_free else 0.0,
    }


def validate_radiographs(
    model: nn.Module, cfg: TrainConfig, samples: Sequence[Sample]
) -> dict[str, float]:
    """`train_job(validator=...)` for radiograph body (or parts) models: see module docstring.

    The samples are the training-size images (`training.radiograph_samples`), whose
    spacing is in source pixels, so identification distances match the evaluation's.
    """
    names = list(cfg.class_names)
    loaded = LoadedModel(model, cfg, names)
    was_training = model.training
    model.eval()
    scores: list[VertebraScore] = []
    level_free: list[float] = []
    try:
        with torch.no_grad():
            for s in samples:
                found = predict_radiograph(loaded, s.image)
                kinds = [class_part_level(names[int(c) - 1]) for c in s.labels]
                body = [i for i, k in enumerate(kinds) if k[0] == BODY]
                sc, lf = body_scores(
                    [s.masks[i] for i in body],
                    [kinds[i][1] for i in body],
                    found,
                    s.spacing_mm,
                    s.image_id,
                )
                scores += sc
                level_free += lf
    finally:
        model.train(was_training)
    return summarise(scores, level_free)
