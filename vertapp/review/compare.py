"""Predictions against the hand-drawn ground truth, with the engine's metrics (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.annotations.coco import project_to_coco
from vertapp.annotations.model import Project
from vertapp.jobs import Job, Progress
from vertapp.labels import VERTEBRAE


def ground_truth_coco(project: Project, image_ids: Sequence[int]) -> dict[str, Any]:
    """The project's hand-drawn (source "manual") instances of `image_ids` as COCO."""
    data = project_to_coco(project)
    keep = set(image_ids)
    data["images"] = [r for r in data["images"] if int(r["id"]) in keep]
    data["annotations"] = [
        a
        for a in data["annotations"]
        if int(a["image_id"]) in keep and (a.get("vertapp") or {}).get("source") == "manual"
    ]
    return data


def has_ground_truth(project: Project, image_id: int) -> bool:
    """Hand-drawn outlines and no model output: the image is a reference to score runs
    against, and Predict leaves it alone. A vertebra drawn by hand where the model
    missed one (beside its predictions, reviewed or not) does not make the image
    ground truth: it was still skipped by the next run, its old predictions left in,
    and Compare scored the run against that one vertebra."""
    instances = project.images[image_id].instances
    drawn = any(i.source == "manual" for i in instances)
    return drawn and not any(i.model_id for i in instances)


def _subset(coco: dict[str, Any], image_ids: Sequence[int]) -> dict[str, Any]:
    keep = set(image_ids)
    out = dict(coco)
    out["images"] = [r for r in coco["images"] if int(r["id"]) in keep]
    out["annotations"] = [a for a in coco["annotations"] if int(a["image_id"]) in keep]
    return out


def compare(
    project: Project, run_coco: dict[str, Any], image_ids: Sequence[int], threshold: float
) -> Any:
    """The engine's evaluation (DESIGN metrics) of a run's raw predictions on `image_ids`."""
    from vertapp.ml import evaluate

    gt = ground_truth_coco(project, image_ids)
    return evaluate(gt, _subset(run_coco, image_ids), score_thresh=threshold, coco_ap=False)


def compare_job(
    gt: dict[str, Any], run_coco: dict[str, Any], image_ids: Sequence[int], threshold: float
) -> Job[Any]:
    """Same as `compare` over many images, with COCO mask/box AP, for a worker thread."""
    from vertapp.ml import evaluate

    yield Progress("evaluate", None, f"{len(image_ids)} images")
    pred = _subset(run_coco, image_ids)
    return evaluate(gt, pred, score_thresh=threshold, coco_ap=True)


# What a pixel of the Compare overlay shows (`overlay_classes`).
NOTHING, TRUTH, PREDICTION, SAME_LEVEL, WRONG_LEVEL = range(5)


def level_masks(
    project: Project, run_coco: dict[str, Any], image_id: int, threshold: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(truth, prediction) masks of one image, each keyed by level: the hand-drawn
    outlines, and the run's predictions scoring at least `threshold`."""
    img = project.images[image_id]
    h, w = img.height, img.width
    truth: dict[str, np.ndarray] = {}
    for inst in img.instances:
        if inst.source == "manual":
            mask = geo.polygons_to_mask(inst.polygons, h, w, inst.holes)
            truth[inst.label] = truth[inst.label] | mask if inst.label in truth else mask
    names = _category_names(run_coco)
    pred: dict[str, np.ndarray] = {}
    for ann in run_coco.get("annotations", []):
        if int(ann["image_id"]) != image_id or float(ann.get("score", 1)) < threshold:
            continue
        label = names.get(int(ann["category_id"]), str(ann["category_id"]))
        mask = geo.segmentation_to_mask(ann["segmentation"], h, w)
        pred[label] = pred[label] | mask if label in pred else mask
    return truth, pred


def overlay_classes(
    truth: dict[str, np.ndarray], pred: dict[str, np.ndarray], shape: tuple[int, int]
) -> np.ndarray:
    """Per pixel (uint8): TRUTH or PREDICTION alone, SAME_LEVEL where a prediction covers
    the truth of its own level, WRONG_LEVEL where predictions cover truth only with other
    levels. The unions of all outlines called a T5 predicted over the true T6 "overlap"."""
    truth_any, pred_any, same = (np.zeros(shape, bool) for _ in range(3))
    for label, mask in truth.items():
        truth_any |= mask
        if label in pred:
            same |= mask & pred[label]
    for mask in pred.values():
        pred_any |= mask
    out = np.full(shape, NOTHING, np.uint8)
    out[truth_any] = TRUTH
    out[pred_any] = PREDICTION
    out[truth_any & pred_any] = WRONG_LEVEL
    out[same] = SAME_LEVEL
    return out


def ap_words(coco: dict[str, dict[str, float]]) -> str:
    """ "COCO mask AP 0.712 (AP50 0.951, AP75 0.803); box AP …" as `vertapp evaluate`
    prints them; "" when the result holds none (a single image is scored without)."""
    parts = [
        f"{what} AP {s['AP']:.3f} (AP50 {s['AP50']:.3f}, AP75 {s['AP75']:.3f})"
        for kind, what in (("segm", "mask"), ("bbox", "box"))
        if (s := coco.get(kind))
    ]
    return f"COCO {'; '.join(parts)}" if parts else ""


def _category_names(coco: dict[str, Any]) -> dict[int, str]:
    """Category id -> level name; without categories, the DESIGN's ids (1 = T1 … 17 = L5)."""
    cats = coco.get("categories") or [{"id": i + 1, "name": n} for i, n in enumerate(VERTEBRAE)]
    return {int(c["id"]): str(c["name"]) for c in cats}
