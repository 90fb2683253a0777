"""Radiograph training data and settings for the Mask R-CNN engine (`vertapp.ml`).

A whole-spine radiograph is 1000 x 2500 px or more, with 17 vertebrae and up to
4 parts each: kept at full size, the masks of 200 such images would not fit in
memory and the net would be too slow on a CPU. Images are therefore scaled to a
fixed long side when read (polygons are scaled before rasterising, so no
full-size mask is ever made) and the net trains on them at that size
(`resize_in_training=False`); prediction scales any new image to the same long
side (`min_size = max_size = long side`), so a vertebra has the same size in
pixels in training and in use.

Class lists come from `parts.MODEL_VOCABULARIES`: "bodies" (class = the body's
level) or "parts" (body levels + the three other parts). Annotations whose level
is unknown are skipped for body classes (their class would be a guess), and counted in
the run's left-out sentences (`unclassed_words`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.annotations.paths import safe_join
from vertapp.errors import InputError, VertAppError
from vertapp.ml.config import TrainConfig, preset
from vertapp.ml.dataset import (
    Sample,
    is_label_annotation,
    patient_key,
    read_coco,
    resolve_dataset_path,
)
from vertapp.ml.masks import segmentation_to_mask
from vertapp.ml.words import annotations_phrase, foreign_sentence
from vertapp.xray.parts import (
    BODY,
    MODEL_VOCABULARIES,
    OTHER_PARTS,
    UNKNOWN,
    normalise_level,
    vertebra_of,
)

log = logging.getLogger(__name__)

DEFAULT_LONG_SIDE = 1024


def radiograph_config(
    vocabulary: str = "bodies",
    long_side: int = DEFAULT_LONG_SIDE,
    view: str = "ap",
    **kw: Any,
) -> TrainConfig:
    """The mobile preset set up for radiographs of `long_side` px (`radiograph_defaults`,
    `radiograph_forced`)."""
    if vocabulary not in MODEL_VOCABULARIES:
        raise InputError(f"vocabulary must be one of {', '.join(MODEL_VOCABULARIES)}")
    base: dict[str, Any] = dict(
        class_names=list(MODEL_VOCABULARIES[vocabulary]),
        **radiograph_defaults(view),
        **radiograph_forced(long_side),
        max_size=long_side,
        detections_per_img=100 if vocabulary == "parts" else 40,
    )
    base.update({k: v for k, v in kw.items() if v is not None})
    return preset("mobile", **base)


def radiograph_defaults(view: str = "ap") -> dict[str, Any]:
    """The augmentation a radiograph run starts from, whichever preset (the user may
    change it): whole films as often as partial views, one view a film per epoch, small
    turns and zooms.

    `view` "ap" (front or back) mirrors left-right half the time: a mirrored AP film
    swaps the patient's left and right, which no class depends on (levels T1..L5, and
    pedicles and processes are not told left from right), and a curve convex to the
    other side is still a spine. "lateral" does not: the processes would point forwards.
    """
    if view not in ("ap", "lateral"):
        raise InputError(f"view must be 'ap' or 'lateral', got {view!r}")
    return dict(
        hflip_prob=0.5 if view == "ap" else 0.0,
        partial_view_prob=0.5,
        views_per_image=1,
        rotate_deg=4.0,
        scale_range=0.1,
    )


def radiograph_forced(long_side: int) -> dict[str, Any]:
    """What every radiograph run sets whatever its settings say: films come scaled to
    `long_side` (the config's max_size) and train at that size; prediction scales any film
    to it (min = max size), with no floor (ml/input_scale.py)."""
    return dict(min_size=long_side, resize_in_training=False, min_scale=0.0)


def radiograph_preset(name: str, view: str = "ap") -> TrainConfig:
    """The preset `name` as a radiograph run trains it (`radiograph_defaults`, then
    `radiograph_overrides`): what the train dialog shows on a radiograph project."""
    return radiograph_overrides(preset(name, **radiograph_defaults(view)))


def grey_u8(image: np.ndarray) -> np.ndarray:
    """8- or 16-bit (or float) grey image -> uint8, 16-bit windowed to its 0.5-99.5 % range.

    The percentiles rather than min/max: a burnt-in marker or a collimator edge would
    otherwise squeeze the bones into a few grey levels.
    """
    img = np.asarray(image)
    if img.ndim == 3:
        img = cv2.cvtColor(img[..., :3].astype(np.float32), cv2.COLOR_BGR2GRAY)
    if img.dtype == np.uint8:
        return img
    f = img.astype(np.float32)
    lo, hi = np.percentile(f, (0.5, 99.5))
    if hi <= lo:
        lo, hi = float(f.min()), float(f.max())
    return np.clip((f - lo) / max(hi - lo, 1e-6) * 255.0, 0, 255).round().astype(np.uint8)


def read_radiograph(path: Path) -> np.ndarray:
    """A radiograph file (PNG/JPEG/TIFF 8 or 16 bit, DICOM) as 2D uint8, as prediction reads it."""
    from vertapp.xray.images import read_pixels

    return grey_u8(read_pixels(path))


def read_radiograph_noted(path: Path) -> tuple[np.ndarray, list[str]]:
    """`read_radiograph` and the reader's warnings (frames dropped, colour), not logged:
    for a caller that says them itself (`vertapp predict`)."""
    from vertapp.xray.images import read_noted

    pixels, warnings = read_noted(path)
    return grey_u8(pixels), warnings


def engine_copy(path: Path, values: np.ndarray) -> np.ndarray:
    """The 8-bit copy of a film the window opened that training and Predict read: the film
    as the X-ray engine reads the file (`read_radiograph`, what `vertapp xray zoi FILM`
    sees), so a model sees one contrast wherever a film comes from. The window's reader
    holds every film as float values, and `grey_u8` of those stretched an 8-bit file over
    its 0.5-99.5 % range, which the engine keeps as it is: a JPEG whose brightest pixel is
    203 reached the model brighter than the films it learnt from (audit r16: a model that
    found 26 bodies on the file found none in the window). `values` (the window's, bone
    bright) serve where the engine cannot read the file."""
    try:
        copy, _warnings = read_radiograph_noted(Path(path))  # the window says its own
    except VertAppError:
        return grey_u8(values)
    return copy if copy.shape == values.shape[:2] else grey_u8(values)


def scale_for(shape: tuple[int, int], long_side: int) -> float:
    return long_side / max(shape)


def resize_long_side(image: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """(image scaled so its long side is `long_side`, scale factor)."""
    s = scale_for(image.shape[:2], long_side)
    h, w = image.shape[:2]
    size = (max(1, round(w * s)), max(1, round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp), s


def class_of(ann: dict[str, Any], category: str, names: list[str]) -> int | None:
    """1-based model class of an annotation, or None if the model has no class for it."""
    level = vertebra_of(ann, category)
    if category == BODY or normalise_level(category) != UNKNOWN:
        return names.index(level) + 1 if level in names else None
    return names.index(category) + 1 if category in names else None


def radiograph_samples(
    path: str | Path, class_names: list[str], long_side: int = DEFAULT_LONG_SIDE
) -> list[Sample]:
    """Every image of a radiograph project / COCO file, scaled to `long_side`, with its
    masks; the films' read warnings go to the log (a caller that says them itself:
    `radiograph_samples_noted`)."""
    samples, warnings = radiograph_samples_noted(path, class_names, long_side)
    for warning in warnings:
        log.warning("%s", warning)
    return samples


def radiograph_samples_noted(
    path: str | Path, class_names: list[str], long_side: int = DEFAULT_LONG_SIDE
) -> tuple[list[Sample], list[str]]:
    """`radiograph_samples` and the films' read warnings ("image 3: file holds 3 frames;
    the first one was read"), not logged, for a command to say once on stderr. Films are
    named by image id: a file name may carry the patient's (DESIGN.md)."""
    coco_path, root = resolve_dataset_path(path)
    coco = read_coco(coco_path)
    cats = {int(c["id"]): str(c["name"]) for c in coco["categories"]}
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in coco["annotations"]:
        if is_label_annotation(ann):  # an undecided prediction is not a truth
            by_image.setdefault(int(ann["image_id"]), []).append(ann)
    samples, warnings = [], []
    for rec in coco["images"]:
        where = f"image {rec.get('id')}"
        image, read = read_radiograph_noted(safe_join(root, rec["file_name"], where))
        warnings += [f"{where}: {w}" for w in read]
        anns = by_image.get(int(rec["id"]), [])
        samples.append(_film_sample(image, rec, anns, cats, class_names, long_side))
    return samples, warnings


def _film_sample(
    image: np.ndarray,
    rec: dict[str, Any],
    anns: list[dict[str, Any]],
    cats: dict[int, str],
    class_names: list[str],
    long_side: int,
) -> Sample:
    """One film scaled to `long_side`, a mask for each annotation the classes name; an
    outline with no pixel at that size is left out and counted (`Sample.empty_outlines`)."""
    small, s = resize_long_side(image, long_side)
    masks, labels = [], []
    empty: dict[str, int] = {}
    for ann in anns:
        category = cats.get(int(ann["category_id"]), "")
        cls = class_of(ann, category, class_names)
        if cls is None:  # said by `unclassed_words`
            continue
        mask = _scaled_mask(ann.get("segmentation"), s, small.shape)
        if mask is not None and mask.any():
            masks.append(mask)
            labels.append(cls)
        else:
            empty[category] = empty.get(category, 0) + 1
    sample = film_sample(small, s, masks, labels, patient_key(rec), int(rec["id"]), rec)
    sample.empty_outlines = empty
    return sample


def unclassed_words(data: str | Path, kept: list[Sample], class_names: list[str]) -> list[str]:
    """What the model has no class for among the label annotations of the `kept` images,
    in words for the run's left-out sentences (`vertapp.ml.train.left_out`): bodies of
    unknown level, categories no class names. They were skipped without a word."""
    coco = read_coco(resolve_dataset_path(data)[0])
    cats = {int(c["id"]): str(c["name"]) for c in coco["categories"]}
    ids = {s.image_id for s in kept}
    counts: dict[str, int] = {}
    for ann in coco["annotations"]:
        if int(ann["image_id"]) not in ids or not is_label_annotation(ann):
            continue
        category = cats.get(int(ann["category_id"]), f"id {ann['category_id']}")
        if class_of(ann, category, class_names) is None:
            counts[category] = counts.get(category, 0) + 1
    return [unclassed_sentence(category, n) for category, n in counts.items()]


def unclassed_sentence(category: str, n: int) -> str:
    """'2 annotations of category 'body' left out of training: vertebra level unknown ...';
    any other category in the CT run's words (`vertapp.ml.words.foreign_sentence`)."""
    if category == BODY or normalise_level(category) != UNKNOWN:  # its class is its level
        return (
            f"{annotations_phrase(category, n)} left out of training: vertebra level unknown "
            "(body classes are the levels T1..L5)"
        )
    return foreign_sentence(category, n)


def film_sample(
    small: np.ndarray,
    scale: float,
    masks: list[np.ndarray],
    labels: list[int],
    patient: str,
    image_id: int,
    record: dict[str, Any],
) -> Sample:
    """A film read at `scale` of its size, as the engine's Sample; its spacing is in source
    pixels, so identification distances stay comparable with the evaluation's."""
    h, w = small.shape
    return Sample(
        image=small,
        masks=np.array(masks, bool).reshape(len(masks), h, w),
        labels=np.array(labels, np.int64),
        patient=patient,
        image_id=image_id,
        file_name=str(record.get("file_name", "")),
        spacing_mm=(1.0 / scale, 1.0 / scale),
        record=record,
    )


def _scaled_mask(seg: Any, s: float, shape: tuple[int, int]) -> np.ndarray | None:
    """Polygons scaled by `s` and rasterised at the small size (RLE: decoded, then resized)."""
    h, w = shape
    if isinstance(seg, list):
        scaled = [(np.asarray(p, np.float64) * s).tolist() for p in seg if len(p) >= 6]
        return segmentation_to_mask(scaled, h, w) if scaled else None
    if isinstance(seg, dict) and "size" in seg:
        full = segmentation_to_mask(seg, int(seg["size"][0]), int(seg["size"][1]))
        return cv2.resize(full.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return None


def radiograph_vocabulary(path: str | Path) -> list[str] | None:
    """Model classes for a dataset of radiographs, None if its images are not radiographs.

    "parts" when any annotation is a spinous process, pedicle or transverse process,
    else "bodies". A dataset is one of radiographs when its image records say so
    (`vertapp.kind` = "radiograph", as imported and drawn projects do).
    """
    coco = read_coco(resolve_dataset_path(path)[0])
    kinds = [(rec.get("vertapp") or {}).get("kind") for rec in coco["images"]]
    if not kinds or any(k != "radiograph" for k in kinds):
        return None
    cats = {int(c["id"]): str(c["name"]) for c in coco["categories"]}
    used = {cats.get(int(a["category_id"])) for a in coco["annotations"]}
    return list(MODEL_VOCABULARIES["parts" if used & set(OTHER_PARTS) else "bodies"])


def radiograph_overrides(cfg: TrainConfig) -> TrainConfig:
    """`cfg` made to train at the data's own size, which is scaled to its long side
    (`radiograph_forced`): what the window's and the command line's runs apply."""
    return cfg.override(**radiograph_forced(cfg.max_size))
