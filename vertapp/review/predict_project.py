"""Predictions written into a saved project without the window (the demo's first run of
the starter model): the same path as Model > Predict all, as one headless job.

Images holding hand-drawn ground truth are left alone, as the window leaves them; the
others get the model's instances as undecided predictions to review.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vertapp.annotations.store import load_project, save_project
from vertapp.jobs import Job
from vertapp.review.compare import has_ground_truth
from vertapp.review.decisions import apply_predictions
from vertapp.review.prediction import SCORE_FLOOR, predict_job_from_snapshots
from vertapp.review.snapshot import snapshot


def predict_into_project(
    folder: str | Path,
    model_path: Path,
    image_ids: Sequence[int] | None = None,
    score_floor: float = SCORE_FLOOR,
) -> Job[int]:
    """Predict `image_ids` (default: every image without ground truth) of the project in
    `folder` with `model_path`, save it; returns the number of predicted instances."""
    project = load_project(folder)
    if image_ids is None:
        image_ids = [i for i in project.images if not has_ground_truth(project, i)]
    if not image_ids:
        return 0
    run = yield from predict_job_from_snapshots(
        model_path, snapshot(project, image_ids), score_floor
    )
    _, added, _ = apply_predictions(project, run.shapes, run.model_id)
    save_project(project, folder)
    return added
