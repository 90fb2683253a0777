"""What a training or prediction job needs of the project, copied quickly (no Qt).

A snapshot is taken on the GUI thread and must be cheap: ids, labels, polygons and where
the pixels are. Reading images and rasterising masks happen later, in the job. The split
into training and validation images keeps each patient on one side, by patient key.

Training learns only from labels: instances a person made or decided (`is_training_label`).
An undecided prediction, shown or hidden below the review threshold, flagged for an expert
or not, is the model's own guess: training on it would teach the model its uncorrected
errors, so it is neither counted in the Train dialog nor handed to the engine as a mask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.annotations.landmarks import HIP_TOP, record_hip_top_row
from vertapp.annotations.landmarks import KEY as LANDMARKS
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.labels import PARTS, UNKNOWN
from vertapp.review.left_out import LeftOut, Unclassed


@dataclass(frozen=True)
class DataImage:
    """One project image offered for training."""

    image_id: int
    name: str
    patient: str
    n_instances: int = 0
    n_pending: int = 0  # undecided predictions: not fully labelled yet, starts unticked
    # Labelled outlines the run leaves out (no class of the model, no pixel covered), and
    # why in `left_out.LeftOut`'s words: drawn, yet not learnt.
    n_left_out: int = 0
    left_out: tuple[str, ...] = ()


# (label, vertebra level or None) -> whether the model has a class for the outline
InClass = Callable[[str, str | None], bool]


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
    # (label, polygons, holes, vertebra level): a radiograph part's level, else None
    instances: tuple[
        tuple[str, tuple[np.ndarray, ...], tuple[np.ndarray, ...], str | None], ...
    ] = ()
    kind: str = "mip"  # "radiograph": predicted with the X-ray engine
    hip_top_row: float | None = None  # the MIP's hip landmark: anchors L5 when numbering
    # An imported labelled CT's record (source, import, source_path) and the project folder
    # its files lie in: training re-slices it (TrainConfig.ct_variants). None otherwise.
    imported: dict[str, Any] | None = None
    root: Path | None = None

    def read(self) -> np.ndarray:
        from vertapp.ml.dataset import read_image

        if self.pixels is not None:
            return self.pixels
        assert self.path is not None
        return read_image(self.path)


def data_images(
    project: Project,
    class_names: Sequence[str] | None = None,
    radiograph_class: InClass | None = None,
    radiograph_words: Unclassed | None = None,
) -> list[DataImage]:
    """The project's images as the Train dialog lists them; `n_instances` counts the
    vertebrae a run learns from: those of their training labels only (an image holding
    nothing but undecided predictions counts 0), and, with `class_names` given, of the
    outlines the run keeps (`trained_outlines`); `n_left_out` counts the others.
    `radiograph_class` judges a radiograph's outlines (the X-ray engine maps a part by
    its level: `vertapp.xray.snapshot_training.has_class`); without one they all count;
    `radiograph_words` says why one has no class, as that run says it.
    `n_pending` counts the undecided predictions (an image with any starts unticked:
    its unreviewed vertebrae would be learnt as background)."""
    out = []
    for img in project.images.values():
        in_class = _judge(img.kind, class_names, radiograph_class)
        kept, left = trained_outlines(img, in_class)
        out.append(
            DataImage(
                img.id,
                Path(img.file_name).name,
                img.patient_key or img.file_name,
                vertebra_count(kept),
                sum(not is_training_label(i) for i in img.instances),
                left.total(),
                tuple(left.words(radiograph_words if img.kind == "radiograph" else None)),
            )
        )
    return out


def _judge(
    kind: str, class_names: Sequence[str] | None, radiograph_class: InClass | None
) -> InClass | None:
    """How an image's outlines are judged: radiographs by the X-ray engine's rule (they
    train its model, `gui.model.jobs`), any other image by its label, as `to_sample`."""
    if kind == "radiograph":
        return radiograph_class
    if class_names is None:
        return None
    names = set(class_names)
    return lambda label, _level: label in names


def trained_outlines(img: ImageRecord, in_class: InClass | None) -> tuple[list[Instance], LeftOut]:
    """The training labels of `img` a run learns from, and what it leaves out, as
    `to_sample_noted` decides it (an outline whose label has no class, one that covers
    no pixel of the image); `in_class` None keeps every training label."""
    labels = training_labels(img.instances)
    if in_class is None:
        return labels, LeftOut()
    kept, left = [], LeftOut()
    for inst in labels:
        if not in_class(inst.label, _vertebra(inst)):
            left.foreign[inst.label] += 1
        elif not _covers_pixel(inst, img.height, img.width):
            left.empty[inst.label] += 1
        else:
            kept.append(inst)
    return kept, left


def _covers_pixel(inst: Instance, height: int, width: int) -> bool:
    """Whether the outline's mask, rasterised as training does it, has a pixel (its RLE's
    area: nothing is decoded, so listing a project stays quick)."""
    rle = geo.polygons_to_rle(list(inst.polygons), height, width, list(inst.holes))
    return geo.rle_area(rle) > 0


def is_training_label(inst: Instance) -> bool:
    """An instance a person made or decided: drawn by hand ("manual"), an outline edited
    by hand ("corrected"), or an accepted prediction (`reviewed`). An undecided prediction
    (source "predicted", not reviewed; flagged for an expert or not) is no label."""
    return inst.source in ("manual", "corrected") or inst.reviewed


def training_labels(instances: Sequence[Instance]) -> list[Instance]:
    """The instances training may learn from (`is_training_label`), in order."""
    return [inst for inst in instances if is_training_label(inst)]


def vertebrae(instances: Sequence[Instance]) -> list[list[Instance]]:
    """The instances grouped into the vertebrae they draw, in order of first appearance: a
    radiograph's parts (body, pedicles, processes) of one known level are one vertebra; a
    part of no known level is a vertebra of its own only if it is a body (any other such
    part belongs to no vertebra and is left out); any other instance is one vertebra."""
    out: list[list[Instance]] = []
    by_level: dict[str, list[Instance]] = {}
    for inst in instances:
        level = _vertebra(inst)
        if level and level != UNKNOWN and inst.label in PARTS:
            if level not in by_level:
                by_level[level] = []
                out.append(by_level[level])
            by_level[level].append(inst)
        elif inst.label not in PARTS or inst.label == "body":
            out.append([inst])
    return out


def vertebra_count(instances: Sequence[Instance]) -> int:
    """Vertebrae drawn on an image: a radiograph's parts count once per level they belong
    to (a vertebra drawn as body, pedicles and processes is one); a part of no known level
    counts only if it is a body; any other instance is one vertebra (see `vertebrae`)."""
    return len(vertebrae(instances))


def snapshot(
    project: Project,
    image_ids: Sequence[int],
    pending: dict[int, np.ndarray] | None = None,
    *,
    labels_only: bool = True,
) -> list[ImageSnapshot]:
    """Copy ids, geometry and where the pixels are (cheap: no image is read here).

    `labels_only` (the default, what training needs): the instances are the training
    labels only (`is_training_label`), never an undecided prediction; the window's
    training jobs (CT MIPs and radiographs) take their masks from these. False: every
    instance. Prediction reads no instances, so either serves it."""
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
                    (
                        i.label,
                        tuple(p.copy() for p in i.polygons),
                        tuple(h.copy() for h in i.holes),
                        _vertebra(i),
                    )
                    for i in (training_labels(img.instances) if labels_only else img.instances)
                ),
                kind=img.kind,
                hip_top_row=record_hip_top_row(img.extra.get("vertapp")),
                imported=_imported(img),
                root=project.root,
            )
        )
    return out


def _vertebra(inst: Instance) -> str | None:
    """The level a radiograph part belongs to (extra["vertapp"]["vertebra"]), if it says."""
    level = (inst.extra.get("vertapp") or {}).get("vertebra")
    return str(level) if level else None


def _imported(img: ImageRecord) -> dict[str, Any] | None:
    meta = img.extra.get("vertapp") or {}
    if meta.get("source") != "imported" or not img.source_path:
        return None
    return {
        "source": "imported",
        "import": dict(meta.get("import") or {}),
        "source_path": img.source_path,
    }


def split_by_patient(
    images: Sequence[DataImage], val_fraction: float, seed: int = 0
) -> tuple[list[int], list[int]]:
    """Training and validation image ids; the engine's patient split on the images' keys."""
    from vertapp.ml.dataset import validation_patients

    held_out = validation_patients((im.patient for im in images), val_fraction, seed)
    train = [im.image_id for im in images if im.patient not in held_out]
    val = [im.image_id for im in images if im.patient in held_out]
    return train, val


def to_sample(snap: ImageSnapshot, class_names: Sequence[str]) -> Any:
    """An engine Sample (image + masks + 1-based class indices) from a snapshot."""
    return to_sample_noted(snap, class_names)[0]


def to_sample_noted(snap: ImageSnapshot, class_names: Sequence[str]) -> tuple[Any, LeftOut]:
    """`to_sample` and what it leaves out of the image, for the run to say: instances whose
    label no class names, outlines whose mask is empty, the image itself as "bare" when
    no mask is left (`left_out.LeftOut`)."""
    from vertapp.ml import Sample

    index = {n: i + 1 for i, n in enumerate(class_names)}
    masks, labels = [], []
    left = LeftOut()
    for label, polygons, holes, _level in snap.instances:
        if label not in index:
            left.foreign[label] += 1
            continue
        rle = geo.polygons_to_rle(list(polygons), snap.height, snap.width, list(holes))
        mask = geo.rle_to_mask(rle)
        if mask.any():
            masks.append(mask)
            labels.append(index[label])
        else:
            left.empty[label] += 1
    if not masks:
        left.bare.append(snap.image_id)
    shape = (len(masks), snap.height, snap.width)
    sample = Sample(
        image=snap.read(),
        masks=np.array(masks, bool).reshape(shape),
        labels=np.array(labels, np.int64),
        patient=snap.patient,
        image_id=snap.image_id,
        file_name=snap.file_name,
        record=_record(snap),
    )
    return sample, left


def _record(snap: ImageSnapshot) -> dict[str, Any]:
    """What the engine reads of the image record: an imported CT's files (for its
    re-acquired copies) and the hip landmark (validation numbers as Predict does)."""
    meta: dict[str, Any] = dict(snap.imported or {})
    if snap.hip_top_row is not None:
        meta[LANDMARKS] = {HIP_TOP: snap.hip_top_row}
    return {"vertapp": meta} if meta else {}
