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

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vertapp.annotations import geometry as geo
from vertapp.errors import ModelError
from vertapp.jobs import WARNINGS, Job, Progress
from vertapp.ml.config import TrainConfig
from vertapp.ml.dataset import Sample
from vertapp.ml.words import bare_sentence, empty_sentence
from vertapp.xray.parts import MODEL_VOCABULARIES, OTHER_PARTS
from vertapp.xray.predict_images import ImageSource, read_film
from vertapp.xray.training import (
    class_of,
    film_sample,
    radiograph_overrides,
    read_radiograph_noted,
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


def snapshot_sample(
    snap: RadiographSnapshot, names: list[str], long_side: int, film: np.ndarray | None = None
) -> Sample:
    """The film scaled to `long_side` with one mask per instance the classes name (a body
    of unknown level has no class: it is left out, as the command line does). `film`: the
    pixels, when the caller read them already (`read_film_noted`)."""
    return snapshot_sample_noted(snap, names, long_side, film)[0]


def snapshot_sample_noted(
    snap: RadiographSnapshot, names: list[str], long_side: int, film: np.ndarray | None = None
) -> tuple[Sample, dict[str, int]]:
    """`snapshot_sample` and, per label, its outlines that cover no pixel at that size
    (left out: no mask to learn from), for the run to say as a CT run says them."""
    small, s = resize_long_side(read_film(snap) if film is None else film, long_side)
    h, w = small.shape
    masks, labels = [], []
    empty: dict[str, int] = {}
    for label, polygons, holes, level in snap.instances:
        cls = class_of({"vertebra": level}, label, names)
        if cls is None:  # said by `unclassed_instances`
            continue
        scaled = [np.asarray(p, float) * s for p in polygons]
        mask = geo.rle_to_mask(
            geo.polygons_to_rle(scaled, h, w, [np.asarray(q) * s for q in holes])
        )
        if mask.any():
            masks.append(mask)
            labels.append(cls)
        else:
            empty[label] = empty.get(label, 0) + 1
    sample = film_sample(
        small, s, masks, labels, snap.patient, snap.image_id, {"file_name": snap.file_name}
    )
    return sample, empty


def read_film_noted(snap: RadiographSnapshot) -> tuple[np.ndarray, list[str]]:
    """`read_film` and the reader's warnings, named by image id ("image 3: colour image
    converted to grey"): the window's run went on with a film's first frame or its grey
    copy and said so only in the log. Pixels held in memory were read when opened."""
    if snap.pixels is not None or snap.path is None:
        return read_film(snap), []
    film, warnings = read_radiograph_noted(Path(snap.path))
    return film, [f"image {snap.image_id}: {w}" for w in warnings]


def has_class(label: str, level: str | None) -> bool:
    """Whether a window run trains an outline labelled `label` of vertebra `level` (the
    rule of `snapshot_sample`, in the "parts" vocabulary: a vocabulary without the other
    parts is only chosen when none is drawn). A body, or a part named by its level, needs
    a known level; a pedicle or process is its own class; anything else has none."""
    return class_of({"vertebra": level}, label, list(MODEL_VOCABULARIES["parts"])) is not None


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
    samples, words = yield from _load(list(train) + list(val), names, cfg.max_size)
    if words:  # said once, before training, as the command line says them
        yield Progress("load", None, "; ".join(words), {WARNINGS: words})
    train_s, val_s = samples[: len(train)], samples[len(train) :]
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


def _load(
    snaps: list[RadiographSnapshot], names: list[str], long_side: int
) -> Job[tuple[list[Sample], list[str]]]:
    """The films as samples, and what the run says of them before it trains, in the
    command line's order (`commands.train`): each film's read warnings, the outlines no
    class names, those that cover no pixel, then the films left with nothing to find."""
    samples, words, empty = [], [], Counter[str]()
    for k, snap in enumerate(snaps):  # counted, not named: a file name may be the patient's
        yield Progress("load", k / max(len(snaps), 1), f"reading image {k + 1} of {len(snaps)}")
        film, read = read_film_noted(snap)
        words += read
        sample, no_pixel = snapshot_sample_noted(snap, names, long_side, film)
        samples.append(sample)
        empty.update(no_pixel)
    words += unclassed_instances(snaps, names)
    words += [empty_sentence(label, n) for label, n in empty.items()]
    bare = [s.image_id for s in samples if not len(s.labels)]
    if bare:
        words.append(bare_sentence(bare))
    return samples, words


def _level_context(model: Path, films: list[Sample]) -> Job[None]:
    """Add the level-context net to the body model; a run it cannot serve (no film with
    two labelled levels) keeps its model and says why."""
    from vertapp.xray.level_context import add_level_context_job

    try:
        yield from add_level_context_job(model, films)
    except ModelError as err:
        yield Progress("levels", None, f"no level context: {err}")
