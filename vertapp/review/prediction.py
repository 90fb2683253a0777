"""A prediction run on snapshots: the model's shapes per image and its raw COCO (no Qt)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.jobs import Job, Progress, run_job
from vertapp.ml import trained_on
from vertapp.ml.trained_on import TrainedOn
from vertapp.review.snapshot import ImageSnapshot

# A run asks the model for every box down to min(this, the shown threshold), in the window
# and in the demo alike: the numbering sees the weak boxes too (it reads the spacing from
# the confident ones), the shipped starter's own threshold is 0.3, and lowering the review
# slider later shows them without predicting again.
SCORE_FLOOR = 0.3


@dataclass
class PredictedShape:
    label: str
    score: float
    polygons: list[np.ndarray]
    order_changed: bool = False
    original_label: str | None = None
    level: str | None = None  # radiograph parts: the vertebra (T1..L5, "unknown")


@dataclass
class PredictRun:
    """Result of one prediction run: shapes per image plus the raw COCO (for Compare)."""

    model_id: str
    model_path: Path
    shapes: dict[int, list[PredictedShape]]
    coco: dict[str, Any]
    score_floor: float
    model_threshold: float | None = None  # the model's own score threshold (its config's)
    # what the model was trained on (None: not recorded): Compare says a score on it is
    # no test
    trained_on: TrainedOn | None = None


def model_id_of(path: Path, epoch: int, trained: int | None = None) -> str:
    """Audit id stored on every predicted instance: file stem, epoch, content hash.

    `trained`: epochs the run trained when the kept weights are an earlier, better epoch
    ("model@e1of3": epoch 1 of a 3-epoch run, not a 1-epoch model).
    """
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    of = f"of{trained}" if trained and trained != epoch else ""
    return f"{path.stem}@e{epoch}{of}:{digest.hexdigest()[:10]}"


def shapes_of(prediction: Any, class_names: Sequence[str]) -> list[PredictedShape]:
    out = []
    for k in range(len(prediction.labels)):
        polygons = geo.mask_to_polygons(np.asarray(prediction.masks[k], bool), 1.0)
        if not polygons:
            continue
        changed = bool(prediction.order_changed[k]) if len(prediction.order_changed) else False
        was = class_names[int(prediction.original_labels[k]) - 1] if changed else None
        out.append(
            PredictedShape(
                label=class_names[int(prediction.labels[k]) - 1],
                score=round(float(prediction.scores[k]), 4),
                polygons=[np.asarray(p, np.float64) for p in polygons],
                order_changed=changed,
                original_label=was,
            )
        )
    return out


def predict_job_from_snapshots(
    model_path: Path, images: list[ImageSnapshot], score_floor: float
) -> Job[PredictRun]:
    """Load the model, predict each image, return polygons per image and the raw COCO."""
    from vertapp.ml import load_checkpoint, predict_job, predictions_to_coco

    yield Progress("load", None, f"loading {model_path.name}")
    loaded = load_checkpoint(model_path, device=_predict_device())
    model_id = model_id_of(model_path, loaded.epoch, loaded.extra.get("epochs_trained"))
    names = list(loaded.class_names)
    shapes: dict[int, list[PredictedShape]] = {}
    predictions = []
    for k, snap in enumerate(images):
        yield Progress("predict", k / max(len(images), 1), f"image {k + 1}/{len(images)}")
        job = predict_job(
            loaded, [snap.read()], score_thresh=score_floor, hip_top_rows=[snap.hip_top_row]
        )
        [pred] = run_job(job)
        predictions.append(pred)
        shapes[snap.image_id] = shapes_of(pred, names)
    records = [
        {"id": s.image_id, "file_name": s.file_name, "width": s.width, "height": s.height}
        for s in images
    ]
    coco = predictions_to_coco(predictions, records, names, model_name=model_id)
    for ann in coco["annotations"]:  # masks are not kept: RLE in the COCO is enough
        ann["segmentation"] = ann["vertapp"]["rle"]
    yield Progress("predict", 1.0, f"{len(images)} image(s) done")
    learnt = trained_on.of_checkpoint(loaded.extra, model_path)
    return PredictRun(
        model_id, model_path, shapes, coco, score_floor, loaded.config.score_thresh, learnt
    )


def _predict_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
