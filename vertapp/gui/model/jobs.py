"""The window's default training and prediction jobs: snapshots run in a child process.

Widgets take job factories so tests can drive them with fake generators; these are the
real ones. A factory runs on the GUI thread and only copies (see `vertapp.review.snapshot`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.model import Project
from vertapp.gui.model.child_process import run_in_process
from vertapp.jobs import Job
from vertapp.review.prediction import PredictRun, predict_job_from_snapshots
from vertapp.review.snapshot import ImageSnapshot, snapshot
from vertapp.review.training import TrainRequest, torch_threads, train_job_from_snapshots


def project_train_factory(project: Project, pending: dict[int, np.ndarray] | None = None):
    """A TrainDialog job factory: snapshot the chosen images now, train in a child process."""

    def factory(request: TrainRequest) -> Job[Any]:
        train = snapshot(project, request.train_ids, pending)
        val = snapshot(project, request.val_ids, pending)
        return run_in_process(
            train_job_from_snapshots, request, train, val, torch_threads=torch_threads()
        )

    return factory


def predict_in_process(
    model_path: Path, images: list[ImageSnapshot], score_floor: float
) -> Job[PredictRun]:
    """The PredictPanel's default job: prediction in a child process (see child_process.py)."""
    return run_in_process(
        predict_job_from_snapshots, model_path, images, score_floor, torch_threads=torch_threads()
    )
