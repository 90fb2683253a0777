"""Writing ZOIs: one PNG per vertebra (the cut-out, original values) and `zois.json`.

`zois.json`: {"source_image": name, "height", "width", "zois": [{"level", "bbox": [x, y, w,
h], "file", "area", "mask": COCO RLE of the full image, "parts": [...]}]}. Files are written
to a temporary name and renamed, so an interrupted run never leaves a half-written index.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.annotations.geometry import mask_to_rle, rle_to_json
from vertapp.errors import InputError
from vertapp.xray.zoi import Zoi, cut_out

INDEX = "zois.json"


def png_pixels(image: np.ndarray) -> np.ndarray:
    """Pixels PNG can hold without changing them: 8/16-bit integers as they are; other
    values (float DICOM rescales) shifted and rounded into 16 bits."""
    if image.dtype in (np.uint8, np.uint16):
        return image
    values = np.asarray(image, dtype=np.float64)
    if np.allclose(values, np.round(values)) and values.min() >= 0 and values.max() <= 65535:
        return values.astype(np.uint16)
    lo, hi = float(values.min()), float(values.max())
    return np.round((values - lo) / max(hi - lo, 1e-12) * 65535).astype(np.uint16)


def write_png(path: Path, pixels: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.png")
    if not cv2.imwrite(str(tmp), pixels):
        raise InputError(f"{path}: cannot write the image")
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def write_zois(image: np.ndarray, zois: dict[str, Zoi], source_name: str, out: Path) -> Path:
    """Write every ZOI's cut-out and the index; returns the index path."""
    out.mkdir(parents=True, exist_ok=True)
    pixels = png_pixels(image)
    records = []
    for zoi in zois.values():
        name = f"zoi_{zoi.level}.png"
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
    write_json(index, {"source_image": source_name, "height": h, "width": w, "zois": records})
    return index
