"""Two radiographs of a project as a low-/high-dose pair: their annotations are the ZOIs.

The window's "pair two radiographs of the project" is `vertapp xray align LOW HIGH
--zois-low COCO --zois-high COCO` without the files: `outlines_of` copies an image's
annotations on the thread that owns the project (cheap: polygons only), and
`project_pair_job` reads the pixels, builds the ZOIs as `zoi_coco` does for a COCO file
(a part annotation names its vertebra in `vertapp.vertebra`, or its label is the level;
a vertebra's mask is the union of its parts) and aligns them (`pair.pair_job`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vertapp.annotations.geometry import polygons_to_mask
from vertapp.annotations.model import Project
from vertapp.errors import InputError
from vertapp.jobs import Job, Progress
from vertapp.labels import PARTS
from vertapp.xray.images import read_pixels
from vertapp.xray.pair import PairInputs, PairState, pair_job
from vertapp.xray.parts import UNKNOWN, vertebra_of
from vertapp.xray.zoi import Zoi, zois_from_masks
from vertapp.xray.zoi_coco import WHOLE

Outline = tuple[str, str, tuple[np.ndarray, ...], tuple[np.ndarray, ...]]  # part, level, rings


@dataclass(frozen=True)
class ImageOutlines:
    """One image's annotations and where its pixels are, copied for a worker."""

    name: str  # for messages ("image 3"): never the file name, which may name the patient
    height: int
    width: int
    outlines: tuple[Outline, ...]
    path: Path | None = None  # its own values are read from here in the worker ...
    pixels: np.ndarray | None = None  # ... unless they are in memory (not saved yet)
    pixel_mm: tuple[float, float] | None = None  # (row, col) where its file recorded one


def outlines_of(
    project: Project, image_id: int, path: Path | None, pixels: np.ndarray | None = None
) -> ImageOutlines:
    """Copy image `image_id`'s annotations (on the project's thread)."""
    rec = project.images[image_id]
    outlines = tuple(
        (
            inst.label if inst.label in PARTS else WHOLE,
            vertebra_of({"vertapp": inst.extra.get("vertapp")}, inst.label),
            tuple(p.copy() for p in inst.polygons),
            tuple(h.copy() for h in inst.holes),
        )
        for inst in rec.instances
    )
    spacing = rec.extra.get("vertapp", {}).get("pixel_spacing_mm")
    pixel_mm = (float(spacing[0]), float(spacing[1])) if spacing else None
    name = f"image {image_id}"
    return ImageOutlines(name, rec.height, rec.width, outlines, path, pixels, pixel_mm)


def zois_of(image: ImageOutlines) -> tuple[dict[str, Zoi], list[str]]:
    """(level -> ZOI, warnings): annotations naming no vertebra are skipped, and said."""
    shape = (image.height, image.width)
    masks: dict[str, np.ndarray] = {}
    parts: dict[str, dict[str, np.ndarray]] = {}
    skipped = 0
    for part, level, polygons, holes in image.outlines:
        if level == UNKNOWN:
            skipped += 1
            continue
        mask = polygons_to_mask(polygons, *shape, holes)
        masks[level] = masks.get(level, np.zeros(shape, bool)) | mask
        own = parts.setdefault(level, {})
        own[part] = own.get(part, np.zeros(shape, bool)) | mask
    if not masks:
        raise InputError(
            f"{image.name}: no annotation names its vertebra (T1 ... L5); give each outline "
            "a level before pairing"
        )
    notes = [f"{skipped} annotation(s) name no vertebra and were skipped"] * (skipped > 0)
    return zois_from_masks(masks, parts), notes


def _pixels(image: ImageOutlines) -> np.ndarray:
    if image.pixels is not None:
        return image.pixels
    assert image.path is not None
    pixels = read_pixels(image.path)
    if pixels.shape[:2] != (image.height, image.width):
        raise InputError(
            f"{image.name}: the file is {pixels.shape[1]}x{pixels.shape[0]} pixels, "
            f"the project says {image.width}x{image.height}"
        )
    return pixels


def project_pair_job(low: ImageOutlines, high: ImageOutlines) -> Job[PairState]:
    """Read both images, take their annotations as ZOIs, align and fuse (`pair_job`)."""
    yield Progress("Reading", None, "low-/high-dose images")
    return (yield from pair_job(pair_inputs(low, high)))


def pair_inputs(low: ImageOutlines, high: ImageOutlines) -> PairInputs:
    """The pair's pixels and ZOIs; mm where both films record the same pixel spacing."""
    if (low.height, low.width) != (high.height, high.width):
        raise InputError(
            f"the low-dose image is {low.width}x{low.height} pixels and the high-dose one "
            f"{high.width}x{high.height}: alignment needs both at the same size"
        )
    low_zois, low_notes = zois_of(low)
    high_zois, high_notes = zois_of(high)
    notes = [f"low-dose: {w}" for w in low_notes] + [f"high-dose: {w}" for w in high_notes]
    pixel_mm = low.pixel_mm if low.pixel_mm == high.pixel_mm else None
    if low.pixel_mm != high.pixel_mm:
        notes.append("the two films record different pixel spacings: shifts in pixels only")
    return PairInputs(_pixels(low), _pixels(high), low_zois, high_zois, pixel_mm, notes)
