"""Prediction: images -> instances (box, label, score, mask), with anatomical ordering.

For the ordering step every kept Mask R-CNN detection needs a probability for
each class, but torchvision returns only the winning class. We therefore run the
detector's stages ourselves (the same calls as GeneralizedRCNN.forward) and, after
the ROI heads, pool the final boxes once more through `box_head`/`box_predictor`
to get their softmax over all classes. The re-pooled box is the refined one, so
these probabilities can differ slightly from the score torchvision reports; the
reported score stays torchvision's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from vertapp.jobs import Job, Progress, run_job
from vertapp.labels import VERTEBRAE
from vertapp.ml.checkpoint import LoadedModel
from vertapp.ml.config import TrainConfig
from vertapp.ml.numbering import Anchor, NumberingRule, mask_geometry, number_within_ends
from vertapp.ml.ordering import reorder_labels, suppress_duplicates


@dataclass
class Prediction:
    """Instances found in one image; labels are 1-based class indices."""

    boxes: np.ndarray  # (N, 4) xyxy
    labels: np.ndarray  # (N,)
    scores: np.ndarray  # (N,)
    masks: np.ndarray  # (N, H, W) bool
    class_probs: np.ndarray  # (N, K) over the K non-background classes
    order_changed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    original_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.labels)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """2D uint8 (or float in [0, 1]) grey image -> (3, H, W) float tensor in [0, 1]."""
    img = np.asarray(image)
    if img.ndim == 3:
        img = img[..., 0] if img.shape[-1] in (1, 3, 4) else img[0]
    f = img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(f))[None].expand(3, -1, -1)


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def maskrcnn_raw(model: Any, images: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    """Detections like `model(images)` plus "class_probs" (N, num_classes) per image."""
    sizes = [tuple(int(s) for s in im.shape[-2:]) for im in images]
    batch, _ = model.transform(images)
    features = model.backbone(batch.tensors)
    proposals, _ = model.rpn(batch, features)
    dets, _ = model.roi_heads(features, proposals, batch.image_sizes)
    heads = model.roi_heads
    pooled = heads.box_roi_pool(features, [d["boxes"] for d in dets], batch.image_sizes)
    logits, _ = heads.box_predictor(heads.box_head(pooled))
    probs = logits.float().softmax(dim=-1).split([len(d["boxes"]) for d in dets])
    dets = model.transform.postprocess(dets, batch.image_sizes, sizes)
    for det, p in zip(dets, probs, strict=True):
        det["class_probs"] = p
    return dets


def unet_geometry(shape: tuple[int, int], cfg: TrainConfig) -> tuple[int, int]:
    """Network input size for an image: Mask R-CNN's min/max-size rule, rounded up to 16."""
    h, w = shape
    scale = min(cfg.min_size / min(h, w), cfg.max_size / max(h, w))
    return max(16, int(np.ceil(h * scale / 16) * 16)), max(16, int(np.ceil(w * scale / 16) * 16))


@torch.inference_mode()
def unet_raw(model: nn.Module, cfg: TrainConfig, image: np.ndarray) -> dict[str, Any]:
    """Per-class probability maps at the image's own size -> one instance per class."""
    h, w = image.shape[:2]
    nh, nw = unet_geometry((h, w), cfg)
    grey = to_tensor(image)[0].numpy()
    x = torch.from_numpy(cv2.resize(grey, (nw, nh), interpolation=cv2.INTER_LINEAR))
    logits = model(x[None, None].to(model_device(model)))[0].float()
    probs = torch.nn.functional.interpolate(
        logits.softmax(0)[None], size=(h, w), mode="bilinear", align_corners=False
    )[0].cpu()
    winner = probs.argmax(0)
    masks, scores, labels, cprobs = [], [], [], []
    for c in range(1, probs.shape[0]):
        m = winner == c
        if int(m.sum()) < 4:
            continue
        masks.append(m.numpy())
        scores.append(float(probs[c][m].mean()))
        labels.append(c)
        cprobs.append(probs[:, m].mean(dim=1).numpy())
    return {
        "masks": np.array(masks, bool).reshape(len(masks), h, w),
        "scores": np.array(scores, np.float32),
        "labels": np.array(labels, np.int64),
        "class_probs": np.array(cprobs, np.float32).reshape(len(cprobs), probs.shape[0]),
    }


def _from_maskrcnn(det: dict[str, torch.Tensor]) -> dict[str, Any]:
    masks = det["masks"][:, 0] > 0.5
    return {
        "masks": masks.cpu().numpy(),
        "scores": det["scores"].float().cpu().numpy(),
        "labels": det["labels"].cpu().numpy().astype(np.int64),
        "class_probs": det["class_probs"].cpu().numpy(),
    }


def finish(
    raw: dict[str, Any], score_thresh: float, order: bool, hip_top_row: float | None = None
) -> Prediction:
    """Threshold, drop empty/duplicate masks, and (for vertebrae) order the labels;
    `hip_top_row` (the MIP's landmark, if any) anchors L5."""
    masks, scores, labels = raw["masks"], raw["scores"], raw["labels"]
    probs = raw["class_probs"][:, 1:]
    probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    nonempty = np.array([m.any() for m in masks], bool)
    keep = (scores >= score_thresh) & nonempty
    idx = np.flatnonzero(keep)
    idx = idx[suppress_duplicates(masks[idx], scores[idx])] if order else idx
    new_labels = labels[idx]
    if order and len(idx):
        sel, new_labels = _chain(masks[idx], probs[idx], scores[idx], hip_top_row)
        idx = idx[sel]
    boxes = np.array([_box(m) for m in masks[idx]], np.float32).reshape(len(idx), 4)
    return Prediction(
        boxes=boxes,
        labels=np.asarray(new_labels, np.int64),
        scores=scores[idx].astype(np.float32),
        masks=masks[idx],
        class_probs=probs[idx].astype(np.float32),
        order_changed=np.asarray(new_labels) != labels[idx],
        original_labels=labels[idx].astype(np.int64),
    )


# Whole vertebrae on a MIP (body and processes): the centre-to-centre gap is ~0.67 of a
# vertebra's height (5 real CTs: median 0.64; 20 realistic phantoms: 0.70); the chain
# reads the spacing from the heights only when fewer than 3 gaps can tell it. Leaving a
# detection out costs 10 x its score (radiographs: 4, where C7 and S1 pass for bodies):
# after duplicate suppression a MIP has few false vertebrae, and at 4 an undertrained
# model's real vertebrae of unsure level were dropped (leave-one-out fold models, paired:
# mean Dice 0.173 at 4, 0.290 at 10, 0.240 with increasing labels; 10 unseen phantoms
# with the starter 0.749 at 4, 0.770 at 10)
# The spacing is read from the boxes scoring at least half the best (numbering.
# confident_spacing): the review's score floor can then go down without losing bodies.
CT_NUMBERING = NumberingRule(gap_per_height=0.67, reject_cost=10.0, spacing_share=0.5)
# The top of the hip bones lies at L5's centre, give or take 0.4 of a spacing on the real
# CTs here (vertapp.preprocess.landmarks). The anchor's sd, 0.7 of a level, adds to that a
# partial mask's centre and a spacing read from few bodies, and leaves a head that is sure
# of its classes the last word where the spine is transitional (L6, sacralised L5: about
# one person in ten, where counting from the pelvis is one level off). Measured on the
# leave-one-out fold models: sd 0.5 gave 49 % identification, 0.7 59 % (chain alone 40 %).
L5 = VERTEBRAE.index("L5") + 1
HIP_SIGMA = 0.7


def hip_anchors(hip_top_row: float | None) -> tuple[Anchor, ...]:
    """The landmark as the chain's anchor: L5 expected with its centre at that row."""
    return () if hip_top_row is None else (Anchor(row=hip_top_row, level=L5, sigma=HIP_SIGMA),)


def _chain(
    masks: np.ndarray, probs: np.ndarray, scores: np.ndarray, hip_top_row: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(kept indices top to bottom, their labels 1..K): the vertebrae numbered as one chain
    (`numbering.py`): a missed vertebra leaves a gap where the spacing says one is missing,
    instead of every label below it moving up. The chain runs one level past each end
    (C7, S1: no class of ours), so the sacrum's top taken for a body is left out instead
    of pushing every level up. A detection no chain takes is dropped;
    when none fits a chain (a barely trained model's weak boxes) they keep the first rule's
    increasing labels rather than all vanishing."""
    centres, heights = mask_geometry(masks)
    levels = number_within_ends(
        centres, probs, scores, heights, CT_NUMBERING, hip_anchors(hip_top_row)
    )
    kept = np.flatnonzero(levels)
    if not len(kept):
        return reorder_labels(centres[:, 0], probs, scores)
    kept = kept[np.argsort(centres[kept, 0], kind="stable")]
    return kept, levels[kept]


def _box(mask: np.ndarray) -> list[float]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return [float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)]


def uses_ordering(class_names: Sequence[str]) -> bool:
    """Ordering only makes sense for the vertebra vocabulary (T1..L5 in order)."""
    return list(class_names) == list(VERTEBRAE)


def predict_job(
    loaded: LoadedModel,
    images: Sequence[np.ndarray],
    *,
    score_thresh: float | None = None,
    order: bool = True,
    hip_top_rows: Sequence[float | None] | None = None,
) -> Job[list[Prediction]]:
    """Run the model on each 2D image; yields progress, returns one Prediction per image.

    `hip_top_rows`: per image, the MIP row of the top of the hip bones where preprocessing
    found it (`vertapp.preprocess.landmarks`); it anchors the numbering at L5."""
    hips = list(hip_top_rows) if hip_top_rows is not None else [None] * len(images)
    if len(hips) != len(images):
        raise ValueError(f"{len(hips)} hip landmarks for {len(images)} images")
    thresh = loaded.config.score_thresh if score_thresh is None else float(score_thresh)
    do_order = order and uses_ordering(loaded.class_names)
    model = loaded.model.eval()
    device = model_device(model)
    out: list[Prediction] = []
    for i, image in enumerate(images):
        yield Progress("predict", i / max(len(images), 1), f"image {i + 1}/{len(images)}")
        if loaded.arch == "unet":
            raw = unet_raw(model, loaded.config, image)
        else:
            raw = _from_maskrcnn(maskrcnn_raw(model, [to_tensor(image).to(device)])[0])
        out.append(finish(raw, thresh, do_order, hips[i]))
    yield Progress("predict", 1.0, f"{len(images)} images")
    return out


def predict_images(
    loaded: LoadedModel, images: Sequence[np.ndarray], **kw: Any
) -> list[Prediction]:
    return run_job(predict_job(loaded, images, **kw))
