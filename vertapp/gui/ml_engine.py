"""The one place the model-workflow widgets call the ML engine (`vertapp.ml`). No Qt here.

Widgets take a job factory so tests can drive them with fake generators. A factory is
called on the GUI thread and must be quick: it copies what the job needs from the project
(a snapshot: ids, labels, polygons, file paths) and returns a generator; the generator's
body (reading images, rasterising masks, training, predicting) runs in the worker thread.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.annotations.coco import project_to_coco
from vertapp.annotations.model import Project
from vertapp.jobs import Job, Progress, run_job
from vertapp.ml.config import ARCHS, BACKBONES, PRESETS, TrainConfig, preset

# -- settings ----------------------------------------------------------------------------------


def preset_names() -> list[str]:
    return list(PRESETS)


def arch_names() -> list[str]:
    return list(ARCHS)


def backbone_names() -> list[str]:
    return list(BACKBONES)


def preset_values(name: str) -> dict[str, Any]:
    """Every setting of the preset `name`, as a flat dict (what the settings form edits)."""
    return preset(name).to_dict()


def build_config(preset_name: str, values: dict[str, Any]) -> TrainConfig:
    """The preset with the user's values applied; raises ModelError on a bad combination."""
    base = preset(preset_name).to_dict()
    base.update(values)
    return TrainConfig.from_dict(base)


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" or "cpu"
    name: str
    memory_gb: float | None = None

    def describe(self) -> str:
        if self.kind == "cuda":
            return f"GPU: {self.name} ({self.memory_gb:.1f} GB)"
        return f"CPU only: {self.name} (no CUDA GPU found; training will be slow)"


def detect_device() -> DeviceInfo:
    """The device training uses on "auto": the first CUDA GPU, else the CPU."""
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return DeviceInfo("cuda", props.name, props.total_memory / 1024**3)
    return DeviceInfo("cpu", f"{os.cpu_count() or 1} cores, {torch.get_num_threads()} threads")


# -- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataImage:
    """One project image offered for training."""

    image_id: int
    name: str
    patient: str
    n_instances: int = 0


@dataclass(frozen=True)
class ImageSnapshot:
    """What a worker needs of one image, copied on the GUI thread."""

    image_id: int
    file_name: str
    height: int
    width: int
    patient: str
    path: Path | None  # read in the worker ...
    pixels: np.ndarray | None = None  # ... unless the image is not saved yet
    instances: tuple[tuple[str, tuple[np.ndarray, ...], tuple[np.ndarray, ...]], ...] = ()

    def read(self) -> np.ndarray:
        from vertapp.ml.dataset import read_image

        if self.pixels is not None:
            return self.pixels
        assert self.path is not None
        return read_image(self.path)


def data_images(project: Project) -> list[DataImage]:
    return [
        DataImage(
            img.id, Path(img.file_name).name, img.patient_key or img.file_name, len(img.instances)
        )
        for img in project.images.values()
    ]


def snapshot(
    project: Project, image_ids: Sequence[int], pending: dict[int, np.ndarray] | None = None
) -> list[ImageSnapshot]:
    """Copy ids, geometry and where the pixels are (cheap: no image is read here)."""
    pending = pending or {}
    out = []
    for image_id in image_ids:
        img = project.images[image_id]
        in_memory = pending.get(image_id)
        out.append(
            ImageSnapshot(
                image_id=img.id,
                file_name=img.file_name,
                height=img.height,
                width=img.width,
                patient=img.patient_key or img.file_name,
                path=None if in_memory is not None else project.image_path(img),
                pixels=None if in_memory is None else np.asarray(in_memory),
                instances=tuple(
                    (i.label, tuple(p.copy() for p in i.polygons), tuple(h.copy() for h in i.holes))
                    for i in img.instances
                ),
            )
        )
    return out


def split_by_patient(
    images: list[DataImage], val_fraction: float, seed: int = 0
) -> tuple[list[int], list[int]]:
    """The engine's split (vertapp.ml.dataset.split_by_patient) applied to image ids."""
    from vertapp.ml import Sample
    from vertapp.ml import split_by_patient as engine_split

    empty = np.zeros((0, 1, 1), bool)
    stubs = [
        Sample(np.zeros((1, 1), np.uint8), empty, np.zeros(0, np.int64), im.patient, im.image_id)
        for im in images
    ]
    train, val = engine_split(stubs, val_fraction, seed)
    return [s.image_id for s in train], [s.image_id for s in val]


def to_sample(snap: ImageSnapshot, class_names: Sequence[str]) -> Any:
    """An engine Sample (image + masks + 1-based class indices) from a snapshot."""
    from vertapp.ml import Sample

    index = {n: i + 1 for i, n in enumerate(class_names)}
    masks, labels = [], []
    for label, polygons, holes in snap.instances:
        if label not in index:
            continue
        rle = geo.polygons_to_rle(list(polygons), snap.height, snap.width, list(holes))
        mask = geo.rle_to_mask(rle)
        if mask.any():
            masks.append(mask)
            labels.append(index[label])
    shape = (len(masks), snap.height, snap.width)
    return Sample(
        image=snap.read(),
        masks=np.array(masks, bool).reshape(shape),
        labels=np.array(labels, np.int64),
        patient=snap.patient,
        image_id=snap.image_id,
        file_name=snap.file_name,
    )


# -- training ----------------------------------------------------------------------------------


@dataclass
class TrainRequest:
    """What the train dialog asks for: the engine's config plus the split and output file."""

    config: TrainConfig
    train_ids: list[int]
    val_ids: list[int]
    out_path: Path
    extra: dict[str, Any] = field(default_factory=dict)


def last_checkpoint(out: Path) -> Path:
    """Where the engine keeps the checkpoint of the last finished epoch for `out`."""
    from vertapp.ml.train import checkpoint_paths

    return checkpoint_paths(out)[0]


def train_job_from_snapshots(
    request: TrainRequest, train: list[ImageSnapshot], val: list[ImageSnapshot]
) -> Job[Any]:
    """Read images and rasterise masks (in the worker), then run the engine's train_job."""
    from vertapp.ml import train_job

    names = list(request.config.class_names)
    samples = []
    for k, snap in enumerate(train + val):
        yield Progress("load", k / max(len(train) + len(val), 1), f"reading {snap.file_name}")
        samples.append(to_sample(snap, names))
    train_s, val_s = samples[: len(train)], samples[len(train) :]
    result = yield from train_job(request.config, train_s, request.out_path, val_data=val_s)
    return result


def torch_threads() -> int:
    """The GUI process's torch thread count, passed on to the child it starts."""
    import torch

    return int(torch.get_num_threads())


def project_train_factory(project: Project, pending: dict[int, np.ndarray] | None = None):
    """A TrainDialog job factory: snapshot the chosen images now, train in a child process."""
    from vertapp.gui.ml_process import run_in_process

    def factory(request: TrainRequest) -> Job[Any]:
        train = snapshot(project, request.train_ids, pending)
        val = snapshot(project, request.val_ids, pending)
        return run_in_process(
            train_job_from_snapshots, request, train, val, torch_threads=torch_threads()
        )

    return factory


# -- prediction --------------------------------------------------------------------------------


@dataclass
class PredictedShape:
    label: str
    score: float
    polygons: list[np.ndarray]
    order_changed: bool = False
    original_label: str | None = None


@dataclass
class PredictRun:
    """Result of one prediction run: shapes per image plus the raw COCO (for Compare)."""

    model_id: str
    model_path: Path
    shapes: dict[int, list[PredictedShape]]
    coco: dict[str, Any]
    score_floor: float


def model_id_of(path: Path, epoch: int) -> str:
    """Audit id stored on every predicted instance: file stem, epoch, content hash."""
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return f"{path.stem}@e{epoch}:{digest.hexdigest()[:10]}"


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
    model_id = model_id_of(model_path, loaded.epoch)
    names = list(loaded.class_names)
    shapes: dict[int, list[PredictedShape]] = {}
    predictions = []
    for k, snap in enumerate(images):
        yield Progress("predict", k / max(len(images), 1), f"image {k + 1}/{len(images)}")
        [pred] = run_job(predict_job(loaded, [snap.read()], score_thresh=score_floor))
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
    return PredictRun(model_id, model_path, shapes, coco, score_floor)


def predict_in_process(
    model_path: Path, images: list[ImageSnapshot], score_floor: float
) -> Job[PredictRun]:
    """The PredictPanel's default job: prediction in a child process (see ml_process)."""
    from vertapp.gui.ml_process import run_in_process

    return run_in_process(
        predict_job_from_snapshots, model_path, images, score_floor, torch_threads=torch_threads()
    )


def _predict_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# -- comparison --------------------------------------------------------------------------------


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
    return any(i.source == "manual" for i in project.images[image_id].instances)


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
