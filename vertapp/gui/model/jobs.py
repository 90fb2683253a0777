"""The window's default training and prediction jobs: snapshots run in a child process.

Widgets take job factories so tests can drive them with fake generators; these are the
real ones. A factory runs on the GUI thread and only copies (see `vertapp.review.snapshot`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.model import Project
from vertapp.gui.model.child_process import run_in_process
from vertapp.gui.model.warm_process import WarmProcess
from vertapp.jobs import Job, Progress
from vertapp.review.prediction import PredictRun, model_id_of, predict_job_from_snapshots
from vertapp.review.snapshot import ImageSnapshot, snapshot
from vertapp.review.training import TrainRequest, torch_threads, train_job_from_snapshots
from vertapp.xray.predict_images import RadiographRun, predict_radiographs_job
from vertapp.xray.snapshot_training import radiograph_train_job

# Predictions share one child kept warm between runs (imports paid once per session);
# training keeps a fresh child per run (its memory goes back when the run ends).
PREDICTIONS = WarmProcess()


def warm_up_job() -> Job[None]:
    """The prediction child's first job when it is started ahead of any Predict: what
    every prediction imports (torch, torchvision, both engines; ~4 s, paid once)."""
    import vertapp.ml
    import vertapp.xray.predict_images  # noqa: F401

    yield Progress("warm-up", 1.0, f"{vertapp.ml.__name__} imported")


def prestart_predictions() -> bool:
    """Start the prediction child now, in the background at low priority, so the first
    Predict of the session finds it warm; True when it started one (never a second)."""
    return PREDICTIONS.prestart(warm_up_job)


def project_train_factory(project: Project, pending: dict[int, np.ndarray] | None = None):
    """A TrainDialog job factory: snapshot the chosen images now, train in a child process."""

    def factory(request: TrainRequest) -> Job[Any]:
        train = snapshot(project, request.train_ids, pending)
        val = snapshot(project, request.val_ids, pending)
        # radiographs train the X-ray engine's model, as `vertapp train` does on them
        radiographs = train and all(s.kind == "radiograph" for s in train + val)
        job = radiograph_train_job if radiographs else train_job_from_snapshots
        return run_in_process(job, request, train, val, torch_threads=torch_threads())

    return factory


def predict_in_process(
    model_path: Path,
    images: list[ImageSnapshot],
    score_floor: float,
    runner: Callable[..., Job[Any]] = PREDICTIONS.run,
) -> Job[PredictRun]:
    """The PredictPanel's default job: prediction in a child process (see child_process.py).

    Radiographs go to the X-ray engine (parts with their vertebra), MIPs to the CT one;
    a project holding both gets one run with the shapes of each. `runner`: how an engine
    job is run (tests run it in this process).
    """
    xrays = [s for s in images if s.kind == "radiograph"]
    mips = [s for s in images if s.kind != "radiograph"]
    runs = []
    if mips:
        runs.append(
            (
                yield from runner(
                    predict_job_from_snapshots,
                    model_path,
                    mips,
                    score_floor,
                    torch_threads=torch_threads(),
                )
            )
        )
    if xrays:
        xray_run = yield from runner(
            predict_radiographs_job, model_path, xrays, score_floor, torch_threads=torch_threads()
        )
        runs.append(radiograph_run(model_path, xray_run, score_floor))
    return runs[0] if len(runs) == 1 else merge_runs(runs)


def radiograph_run(model_path: Path, run: RadiographRun, score_floor: float) -> PredictRun:
    """The X-ray engine's result as the review's run (its audit id added)."""
    model_id = model_id_of(model_path, run.epoch, run.epochs_trained)
    shapes: dict[int, list[Any]] = dict(run.shapes)  # PartShape is a PredictedShape with a level
    return PredictRun(model_id, model_path, shapes, run.coco, score_floor, run.model_threshold)


def merge_runs(runs: list[PredictRun]) -> PredictRun:
    """One run of a MIP part and a radiograph part (their image ids never overlap)."""
    first = runs[0]
    shapes = {k: v for run in runs for k, v in run.shapes.items()}
    coco = dict(first.coco)
    coco["images"] = [im for run in runs for im in run.coco["images"]]
    coco["annotations"] = [
        dict(a, id=i + 1) for i, a in enumerate(a for run in runs for a in run.coco["annotations"])
    ]
    return PredictRun(
        first.model_id,
        first.model_path,
        shapes,
        coco,
        first.score_floor,
        first.model_threshold,
        first.trained_on,
    )
