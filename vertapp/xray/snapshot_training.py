"""Training on radiographs as the window asks for it: the same model as `vertapp train`.

The window hands over snapshots of its images (`vertapp.review.snapshot.ImageSnapshot`:
pixels or their path, and per instance its label, polygons, holes and vertebra level).
A radiograph project trains what the command line trains on it (`vertapp.xray.training`):

- classes from the annotations: the 17 body levels, plus the three other parts when
  any is drawn ("bodies" / "parts"); a part's level comes from its vertebra;
- films scaled to the model's long side when read (polygons scaled, never a full-size
  mask), trained at that size;
- each epoch validated on numbered bodies (`vertapp.xray.validation`), not by top class;
- then the level-context net (`vertapp.xray.level_context`) on the same films.

Without this the window trained a radiograph project like CT MIPs: full-size films, a
"body" class with no level (nothing to number), no level-context net.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.errors import ModelError
from vertapp.jobs import WARNINGS, Job, Progress
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample
from vertapp.xray.parts import MODEL_VOCABULARIES, OTHER_PARTS
from vertapp.xray.predict_images import ImageSource, read_film
from vertapp.xray.training import (
    class_of,
    film_sample,
    radiograph_overrides,
    resize_long_side,
    unclassed_sentence,
)

Instance = tuple[str, Sequence[np.ndarray], Sequence[np.ndarray], str | None]


class RadiographSnapshot(ImageSource, Protocol):
    """What the job reads of one film (`review.snapshot.ImageSnapshot` is one)."""

    patient: str
    instances: Sequence[Instance]  # (label, polygons, holes, vertebra level or None)


def snapshot_vocabulary(snaps: Sequence[RadiographSnapshot]) -> list[str]:
    """ "parts" when any instance is a spinous process, pedicle or transverse process, else
    "bodies" (the rule of `training.radiograph_vocabulary` for a project file)."""
    used = {inst[0] for s in snaps for inst in s.instances}
    return list(MODEL_VOCABULARIES["parts" if used & set(OTHER_PARTS) else "bodies"])


def snapshot_sample(snap: RadiographSnapshot, names: list[str], long_side: int) -> Sample:
    """The film scaled to `long_side` with one mask per instance the classes name (a body
    of unknown level has no class: it is left out, as the command line does)."""
    small, s = resize_long_side(read_film(snap), long_side)
    h, w = small.shape
    masks, labels = [], []
    for label, polygons, holes, level in snap.instances:
        cls = class_of({"vertebra": level}, label, names)
        if cls is None:
            continue
        scaled = [np.asarray(p, float) * s for p in polygons]
        mask = geo.rle_to_mask(
            geo.polygons_to_rle(scaled, h, w, [np.asarray(q) * s for q in holes])
        )
        if mask.any():
            masks.append(mask)
            labels.append(cls)
    return film_sample(
        small, s, masks, labels, snap.patient, snap.image_id, {"file_name": snap.file_name}
    )


def unclassed_instances(snaps: Sequence[RadiographSnapshot], names: list[str]) -> list[str]:
    """The instances `snapshot_sample` leaves out, counted by label in the command line's
    words (`training.unclassed_sentence`): a body of unknown level trained as background
    without a word before."""
    counts: dict[str, int] = {}
    for snap in snaps:
        for label, _polygons, _holes, level in snap.instances:
            if class_of({"vertebra": level}, label, names) is None:
                counts[label] = counts.get(label, 0) + 1
    return [unclassed_sentence(label, n) for label, n in counts.items()]


def radiograph_config(config: TrainConfig, snaps: Sequence[RadiographSnapshot]) -> TrainConfig:
    """The dialog's settings with the radiograph classes, trained at the films' scaled size."""
    return radiograph_overrides(config.override(class_names=snapshot_vocabulary(snaps)))


def radiograph_train_job(
    request: Any, train: Sequence[RadiographSnapshot], val: Sequence[RadiographSnapshot]
) -> Job[Any]:
    """`request` (review.training.TrainRequest: config, out_path, finetune_from) on the
    films `train`, validated on `val`; returns the engine's TrainResult."""
    from vertapp.ml.train import train_job
    from vertapp.xray.validation import validate_radiographs

    cfg = radiograph_config(request.config, list(train) + list(val))
    names = list(cfg.class_names)
    samples = []
    for k, snap in enumerate(list(train) + list(val)):
        n = len(train) + len(val)  # counted, not named: a file name may be the patient's
        yield Progress("load", k / max(n, 1), f"reading image {k + 1} of {n}")
        samples.append(snapshot_sample(snap, names, cfg.max_size))
    train_s, val_s = samples[: len(train)], samples[len(train) :]
    words = unclassed_instances(list(train) + list(val), names)
    if words:  # said once, before training, as the engine says what it leaves out
        yield Progress("load", None, "; ".join(words), {WARNINGS: words})
    result = yield from train_job(
        cfg,
        train_s,
        request.out_path,
        val_data=val_s,
        finetune_from=request.finetune_from,
        validator=validate_radiographs,
    )
    if result.out is not None:
        yield from _level_context(Path(result.out), train_s)
    return result


def _level_context(model: Path, films: list[Sample]) -> Job[None]:
    """Add the level-context net to the body model; a run it cannot serve (no film with
    two labelled levels) keeps its model and says why."""
    from vertapp.xray.level_context import add_level_context_job

    try:
        yield from add_level_context_job(model, films)
    except ModelError as err:
        yield Progress("levels", None, f"no level context: {err}")
