"""Model > Predict on radiograph images of a project: the X-ray engine as a job.

The window's prediction runs a job on snapshots of the images in a child process and
turns the shapes it returns into predicted instances to review. For a radiograph that
job is this one: `detect.predict_radiograph` (bodies numbered top to bottom, every
other part attached to its vertebra), each found part as polygons with its `level`,
and the run's COCO (part categories, `vertapp.vertebra` on every annotation) for the
Compare panel. The window adds the audit id and wraps it as its own run; this module
knows nothing of the window or of the CT review package (they are siblings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.jobs import Job, Progress
from vertapp.xray.detect import FoundPart, check_radiograph_model, predict_radiograph
from vertapp.xray.detect import predictions_coco as one_image_coco
from vertapp.xray.training import grey_u8, read_radiograph


class ImageSource(Protocol):
    """What the job needs of an image (`vertapp.review.snapshot.ImageSnapshot` is one)."""

    image_id: int
    file_name: str
    height: int
    width: int
    path: Path | None  # the film's file, read as the X-ray engine reads films ...
    pixels: np.ndarray | None  # ... or its pixels, when it is not saved yet


def read_film(image: ImageSource) -> np.ndarray:
    """The film as `vertapp xray` reads it (`training.read_radiograph`: 16-bit windowed to
    its 0.5-99.5 % range, DICOM too), so the window's models see what the command line's
    see; pixels not saved yet as they are held."""
    if image.pixels is None and image.path is not None:
        return read_radiograph(Path(image.path))
    assert image.pixels is not None
    return grey_u8(image.pixels)


@dataclass
class PartShape:
    """One predicted part as polygons, with the level of the vertebra it belongs to."""

    label: str  # body, spinous_process, pedicle, transverse_process
    score: float
    polygons: list[np.ndarray]
    level: str  # T1..L5 or "unknown"
    order_changed: bool = False
    original_label: str | None = None


@dataclass
class RadiographRun:
    shapes: dict[int, list[PartShape]]  # image id -> parts
    coco: dict[str, Any]  # every image's predictions, ids as in the project
    epoch: int
    epochs_trained: int | None
    model_threshold: float | None = None  # the model's own score threshold (its config's)


def part_shapes(found: Sequence[FoundPart]) -> list[PartShape]:
    """Polygons of each found mask (as the CT path traces them), empty ones dropped."""
    out = []
    for f in found:
        polygons = geo.mask_to_polygons(np.asarray(f.mask, bool), 1.0)
        if polygons:
            rings = [np.asarray(p, np.float64) for p in polygons]
            out.append(PartShape(f.part, round(f.score, 4), rings, f.level, f.order_changed))
    return out


def predict_radiographs_job(
    model_path: Path, images: Sequence[ImageSource], score_floor: float, device: str | None = None
) -> Job[RadiographRun]:
    """Load the checkpoint (a radiograph model, else ModelError or InputError in words), predict each image."""
    from vertapp.ml import load_checkpoint

    yield Progress("load", None, f"loading {Path(model_path).name}")
    loaded = load_checkpoint(model_path, device=device or _device())
    check_radiograph_model(loaded)
    shapes: dict[int, list[PartShape]] = {}
    coco: dict[str, Any] = {"images": [], "annotations": [], "categories": []}
    for k, image in enumerate(images):
        yield Progress("predict", k / max(len(images), 1), f"radiograph {k + 1}/{len(images)}")
        found = predict_radiograph(loaded, read_film(image), score_thresh=score_floor)
        shapes[image.image_id] = part_shapes(found)
        one = one_image_coco(found, image.file_name, (image.height, image.width))
        _merge(coco, one, image.image_id)
    yield Progress("predict", 1.0, f"{len(images)} radiograph(s) done")
    trained = loaded.extra.get("epochs_trained")
    return RadiographRun(shapes, coco, loaded.epoch, trained, loaded.config.score_thresh)


def _merge(coco: dict[str, Any], one: dict[str, Any], image_id: int) -> None:
    """One image's COCO into the run's, under the image's id in the project."""
    coco["categories"] = one["categories"]
    coco["images"].append(dict(one["images"][0], id=image_id))
    for ann in one["annotations"]:
        coco["annotations"].append(dict(ann, id=len(coco["annotations"]) + 1, image_id=image_id))


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
