"""Predictions against the hand-drawn ground truth, with the engine's metrics (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vertapp.annotations.coco import project_to_coco
from vertapp.annotations.model import Project
from vertapp.jobs import Job, Progress


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
