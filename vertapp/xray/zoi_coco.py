"""ZOIs from a COCO file (the `--zois` input of `vertapp xray`).

Categories are part names (`body`, `pedicle`, ...) or vertebra names (T1 ... L5). An
annotation's vertebra comes from `annotation["vertapp"]["vertebra"]`, else a top-level
`"vertebra"` key, else its category name; "unknown" ones cannot be paired and are skipped
with a warning. A vertebra's mask is the union of its annotations (polygons or RLE, decoded
by pycocotools).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.geometry import GeometryError, segmentation_to_mask
from vertapp.errors import FormatError, InputError
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.xray.zoi import Zoi, zois_from_masks

WHOLE = "vertebra"  # part name given to an annotation whose category is the level itself


def read_coco_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FormatError(f"{path}: not a readable JSON file ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise FormatError(f"{path}: not a COCO file (no 'annotations' list)")
    return data


def zois_from_coco(
    coco: dict[str, Any], shape: tuple[int, int], image_name: str, where: str
) -> tuple[dict[str, Zoi], list[str]]:
    """(level -> ZOI, warnings) for the image of `coco` that matches `image_name`."""
    record = _pick_image(coco, image_name, where)
    size = (record.get("height"), record.get("width"))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
        raise FormatError(f"{where}: its image record lacks a whole-number width and height")
    if tuple(size) != tuple(shape):
        raise InputError(
            f"{where}: annotations are for a {size[1]}x{size[0]} image but the image is "
            f"{shape[1]}x{shape[0]} pixels"
        )
    names = _category_names(coco, where)
    masks: dict[str, np.ndarray] = {}
    parts: dict[str, dict[str, np.ndarray]] = {}
    skipped = 0
    for ann in coco["annotations"]:
        if not isinstance(ann, dict) or ann.get("image_id") != record.get("id"):
            continue
        category = names.get(ann.get("category_id"), "")
        level = _level_of(ann, category)
        if level is None:
            skipped += 1
            continue
        mask = _mask_of(ann, shape, where)
        part = category if category in PARTS else WHOLE
        masks[level] = masks.get(level, np.zeros(shape, bool)) | mask
        parts.setdefault(level, {})
        parts[level][part] = parts[level].get(part, np.zeros(shape, bool)) | mask
    warnings = [f"{skipped} annotation(s) name no vertebra (T1 ... L5) and were skipped"] * (
        skipped > 0
    )
    if not masks:
        raise InputError(f"{where}: no annotation names a vertebra (T1 ... L5) on this image")
    return zois_from_masks(masks, parts), warnings


def _pick_image(coco: dict[str, Any], image_name: str, where: str) -> dict[str, Any]:
    images = [r for r in coco.get("images", []) if isinstance(r, dict)]
    if not images:
        raise FormatError(f"{where}: no image record")
    if len(images) == 1:
        return images[0]
    same = [r for r in images if Path(str(r.get("file_name", ""))).name == image_name]
    if len(same) != 1:
        raise InputError(
            f"{where}: {len(images)} images and {len(same)} named {image_name!r}; "
            "give a file with that one image"
        )
    return same[0]


def _category_names(coco: dict[str, Any], where: str) -> dict[Any, str]:
    cats = coco.get("categories", [])
    if not isinstance(cats, list):
        raise FormatError(f"{where}: 'categories' is not a list")
    return {c.get("id"): str(c.get("name", "")) for c in cats if isinstance(c, dict)}


def _level_of(ann: dict[str, Any], category: str) -> str | None:
    extra = ann.get("vertapp")
    for value in (
        extra.get("vertebra") if isinstance(extra, dict) else None,
        ann.get("vertebra"),
        category,
    ):
        if isinstance(value, str) and value in VERTEBRAE:
            return value
    return None


def _mask_of(ann: dict[str, Any], shape: tuple[int, int], where: str) -> np.ndarray:
    try:
        mask = segmentation_to_mask(ann.get("segmentation"), shape[0], shape[1])
    except GeometryError as err:
        raise FormatError(f"{where}: annotation {ann.get('id')}: {err}") from None
    if not mask.any():
        raise InputError(f"{where}: annotation {ann.get('id')} has an empty mask")
    return mask
