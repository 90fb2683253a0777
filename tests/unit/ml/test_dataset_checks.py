"""Training and prediction read a COCO file with the checks convert and review make.

Read unchecked, duplicate image ids trained one image on another's polygons (exit 0), a
missing category_id or categories given as text said "unexpected error; this is a bug",
a bad width dumped the whole image record; a float image with one NaN pixel became all 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from vertapp.errors import FormatError, InputError
from vertapp.ml.dataset import load_samples, read_image
from vertapp.ml.train import default_class_names


def _project(folder: Path) -> dict[str, Any]:
    """Two 32 x 32 images, a T1 drawn on the first."""
    for name in ("a.png", "b.png"):
        assert cv2.imwrite(str(folder / name), np.zeros((32, 32), np.uint8))
    return {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 32, "height": 32},
            {"id": 2, "file_name": "b.png", "width": 32, "height": 32},
        ],
        "categories": [{"id": 1, "name": "T1"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[2, 2, 20, 2, 20, 20]]}
        ],
    }


def _write(folder: Path, coco: dict[str, Any]) -> Path:
    path = folder / "project.json"
    path.write_text(json.dumps(coco), encoding="utf-8")
    return path


def _duplicate_id(coco: dict[str, Any]) -> None:
    coco["images"][1]["id"] = 1


def _no_category(coco: dict[str, Any]) -> None:
    del coco["annotations"][0]["category_id"]


def _categories_text(coco: dict[str, Any]) -> None:
    coco["categories"] = "T1"


def _width_text(coco: dict[str, Any]) -> None:
    coco["images"][0]["width"] = "wide"


BAD = [
    (_duplicate_id, r"images\[1\] \(id 1\): duplicate image id 1"),
    (_no_category, r"annotations\[0\] \(id 1\): 'category_id' must be an integer"),
    (_categories_text, r"categories: expected a list, got str"),
    (_width_text, r"images\[0\] \(id 1\): 'width' must be an integer, got 'wide'"),
]
READERS = [load_samples, default_class_names]  # training's first read, and its samples


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize(("spoil", "words"), BAD, ids=lambda b: getattr(b, "__name__", ""))
def test_a_malformed_coco_is_refused_naming_file_and_record(
    tmp_path: Path, spoil: Callable[[dict[str, Any]], None], words: str, reader: Any
) -> None:
    coco = _project(tmp_path)
    samples = load_samples(_write(tmp_path, coco))  # as written, it loads
    assert [(s.image_id, len(s.labels)) for s in samples] == [(1, 1), (2, 0)]
    spoil(coco)
    path = _write(tmp_path, coco)
    with pytest.raises(FormatError, match=re.escape(str(path)) + ": " + words):
        reader(path)


def test_an_image_with_a_nan_pixel_is_refused(tmp_path: Path) -> None:
    pixels = np.ones((16, 16), np.float32)
    pixels[3, 3] = np.nan
    path = tmp_path / "mip.tiff"
    assert cv2.imwrite(str(path), pixels)
    with pytest.raises(InputError, match=r"mip\.tiff: image contains 1 NaN or infinite pixel"):
        read_image(path)


@pytest.mark.parametrize("value", ["0.8", [0.8, "x"], [0.8, float("nan")], [0.8, 0.0], [True, 1]])
def test_a_stated_spacing_that_is_no_spacing_is_refused(value: Any) -> None:
    from vertapp.ml.dataset import image_spacing

    with pytest.raises(FormatError, match=r"image 7: vertapp.spacing_mm must be a pixel spacing"):
        image_spacing({"id": 7, "vertapp": {"spacing_mm": value}})


def test_stated_spacings_and_the_mip_grid_default() -> None:
    from vertapp.ml.dataset import image_spacing

    assert image_spacing({"vertapp": {"spacing_mm": 0.5}}) == (0.5, 0.5)
    assert image_spacing({"vertapp": {"pixel_spacing": [0.4, 0.3]}}) == (0.4, 0.3)
    assert image_spacing({"id": 1}) == (1.0, 1.0)
