"""Writing ZOIs: one PNG per vertebra (the cut-out, original values) and `zois.json`.

`zois.json`: {"source_image": name, "height", "width", "pixel_values": {...}, "zois":
[{"level", "bbox": [x, y, w, h], "file", "area", "mask": COCO RLE of the full image,
"parts": [...]}]}. Files are written to a temporary name and renamed, so an interrupted run
never leaves a half-written index.

`pixel_values` says what the cut-outs' values are, so that ZOIs of two films can be put on
one scale: modality value = PNG value x `rescale_slope` + `rescale_intercept`;
`bone_bright` false where bone holds the low values (MONOCHROME1 as stored);
`photometric_interpretation`, `bits_stored`, `modality` (and `rescale_type`) as the film
records them; `pixels` in words ("image file values", "DICOM stored values", or values
"stretched to 16 bits" where they are neither).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.annotations.geometry import mask_to_rle, rle_to_json
from vertapp.errors import InputError
from vertapp.io.out_paths import make_out_folder
from vertapp.labels import VERTEBRAE
from vertapp.xray.zoi import Zoi, cut_out

log = logging.getLogger(__name__)

INDEX = "zois.json"


@dataclass(frozen=True)
class ZoiFiles:
    """What `write_zois` wrote: the index, and the cut-outs of an earlier run into the
    same folder that it removed (the caller tells the user)."""

    index: Path
    removed: list[str]


def png_pixels(image: np.ndarray) -> np.ndarray:
    """Pixels PNG can hold without changing them: 8/16-bit integers as they are; other
    values (float DICOM rescales) shifted and rounded into 16 bits."""
    return png_values(image)[0]


def png_values(image: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """`png_pixels`, and zois.json's record of how they map to the values given."""
    bits = 8 if image.dtype == np.uint8 else 16
    record: dict[str, Any] = {
        "pixels": "image file values",
        "modality": "OT",
        "photometric_interpretation": "MONOCHROME2",
        "bone_bright": True,
        "bits_stored": bits,
        "rescale_slope": 1.0,
        "rescale_intercept": 0.0,
    }
    if image.dtype in (np.uint8, np.uint16):
        return image, record
    values = np.asarray(image, dtype=np.float64)
    if np.allclose(values, np.round(values)) and values.min() >= 0 and values.max() <= 65535:
        return values.astype(np.uint16), {**record, "pixels": "values as read"}
    lo, hi = float(values.min()), float(values.max())
    step = max(hi - lo, 1e-12) / 65535
    stretched = np.round((values - lo) / step).astype(np.uint16)
    return stretched, {
        **record,
        "pixels": "values as read (bone bright), stretched to 16 bits",
        "rescale_slope": step,
        "rescale_intercept": lo,
    }


def write_png(path: Path, pixels: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.png")
    if not cv2.imwrite(str(tmp), pixels):
        raise InputError(f"{path}: cannot write the image")
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def write_zois(
    image: np.ndarray,
    zois: dict[str, Zoi],
    source_name: str,
    out: Path,
    values: dict[str, Any] | None = None,
) -> ZoiFiles:
    """Write every ZOI's cut-out and the index; returns its path and the earlier run's
    cut-outs removed. `values`: the record of `image`'s values (`vertapp.xray.images.Film`),
    which must then be 8 or 16 bit; else `png_values` makes the pixels and the record."""
    make_out_folder(out)
    if values is None:
        pixels, values = png_values(image)
    elif image.dtype in (np.uint8, np.uint16):
        pixels = image
    else:
        raise ValueError(f"stored values must be 8 or 16 bit, not {image.dtype}")
    records = []
    for zoi in zois.values():
        name = zoi_file_name(zoi.level)
        write_png(out / name, cut_out(pixels, zoi))
        records.append(
            {
                "level": zoi.level,
                "bbox": list(zoi.bbox),
                "file": name,
                "area": int(np.count_nonzero(zoi.mask)),
                "mask": rle_to_json(mask_to_rle(zoi.mask)),
                "parts": sorted(zoi.parts),
            }
        )
    index = out / INDEX
    h, w = image.shape[:2]
    write_json(
        index,
        {
            "source_image": source_name,
            "height": h,
            "width": w,
            "pixel_values": values,
            "zois": records,
        },
    )
    removed = remove_stale_zois(out, {str(r["file"]) for r in records})  # after the new index
    return ZoiFiles(index, removed)


def zoi_file_name(level: str) -> str:
    return f"zoi_{level}.png"


def remove_stale_zois(out: Path, listed: set[str]) -> list[str]:
    """Remove the cut-outs of an earlier run into `out` that the new index does not list
    (a run into a used folder left them beside a zois.json that did not name them); the
    names removed, for the caller to say. Only files of this module's own naming
    (zoi_<vertebra>.png) go; any other file stays."""
    removed = []
    for level in VERTEBRAE:
        name = zoi_file_name(level)
        path = out / name
        if name in listed or not path.is_file():
            continue
        try:
            path.unlink()
        except OSError as err:
            log.warning(
                "%s: from an earlier run, not in %s, and not removed (%s)",
                path,
                INDEX,
                err.strerror,
            )
            continue
        removed.append(name)
    return removed
