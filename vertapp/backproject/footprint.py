"""MIP masks -> one footprint image: which vertebra each MIP pixel shows.

The footprint is a uint8 image of the MIP's size: 0 = no mask, 1..17 = T1..L5 (our
category ids), `AMBIGUOUS` where masks of two different vertebrae overlap. Overlap pixels
are not settled here: in projection both readings are possible (articular processes,
tilted endplates), so the 3D step decides them by bone connectivity.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations import geometry
from vertapp.annotations.labelmap import normalise_label
from vertapp.annotations.validate import read_json
from vertapp.errors import FormatError, InputError
from vertapp.labels import VERTEBRA_ID

AMBIGUOUS = 255


def footprint_from_masks(
    masks: Iterable[tuple[str, np.ndarray]], shape: tuple[int, int]
) -> np.ndarray:
    """(label name, bool mask) pairs -> footprint image. Names outside T1..L5 are refused."""
    out = np.zeros(shape, np.uint8)
    for name, mask in masks:
        label = normalise_label(name)
        if label not in VERTEBRA_ID:
            raise InputError(f"mask label {name!r} is not a vertebra T1..L5")
        m = np.asarray(mask, bool)
        if m.shape != tuple(shape):
            raise InputError(
                f"a {label} mask is {m.shape[1]}x{m.shape[0]} px but the MIP is "
                f"{shape[1]}x{shape[0]} px: the masks belong to another image"
            )
        vid = VERTEBRA_ID[label]
        clash = m & (out != 0) & (out != vid)
        out[m & (out == 0)] = vid
        out[clash] = AMBIGUOUS
    return out


def footprint_from_coco(path: str | Path, shape: tuple[int, int]) -> np.ndarray:
    """The footprint of the masks in a COCO file (one image, or the one of `shape`)."""
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise FormatError(f"{path}: not a COCO file (no 'annotations' list)")
    image = _pick_image(data, shape, str(path))
    names = {c.get("id"): str(c.get("name", "")) for c in data.get("categories", [])}
    masks = []
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or ann.get("image_id") != image.get("id"):
            continue
        name = names.get(ann.get("category_id"))
        if name is None:
            raise FormatError(f"{path}: annotations[{i}] has an unknown category_id")
        if normalise_label(name) not in VERTEBRA_ID:
            continue  # parts or other classes: not vertebrae, not back-projected
        try:
            seg = geometry.segmentation_to_mask(ann.get("segmentation"), shape[0], shape[1])
        except (ValueError, TypeError, KeyError) as err:
            raise FormatError(f"{path}: annotations[{i}]: bad segmentation ({err})") from None
        masks.append((name, seg))
    if not masks:
        raise InputError(f"{path}: no vertebra masks (T1..L5) for the MIP image")
    return footprint_from_masks(masks, shape)


def _pick_image(data: dict[str, Any], shape: tuple[int, int], name: str) -> dict[str, Any]:
    images = [im for im in data.get("images", []) if isinstance(im, dict)]
    if not images:
        raise FormatError(f"{name}: no image records")
    rows, cols = shape
    same = [im for im in images if (im.get("height"), im.get("width")) == (rows, cols)]
    if len(images) == 1 and not same:
        im = images[0]
        raise InputError(
            f"{name}: the masks are for a {im.get('width')}x{im.get('height')} px image but "
            f"this CT's MIP is {cols}x{rows} px: the masks belong to another image"
        )
    if len(same) != 1:
        raise InputError(
            f"{name}: holds {len(images)} images, {len(same)} of the MIP's size {cols}x{rows}; "
            "give a COCO file with the masks of this CT's MIP only"
        )
    return same[0]
