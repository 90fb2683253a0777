"""ZOI COCO input: the level from annotation["vertapp"]["vertebra"], a top-level "vertebra"
key or the category name; polygons and RLE; bad input gives our error in words."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vertapp.annotations.geometry import mask_to_rle, rle_to_json
from vertapp.errors import FormatError, InputError
from vertapp.xray.zoi_coco import read_coco_file, zois_from_coco

H, W = 60, 80
CATS = [
    {"id": 1, "name": "body"},
    {"id": 2, "name": "pedicle"},
    {"id": 3, "name": "L3"},
    {"id": 4, "name": "L4"},
]


def _square(x: int, y: int, s: int = 10) -> list[list[float]]:
    return [[x, y, x + s, y, x + s, y + s, x, y + s]]


def _coco(anns: list[dict], images: list[dict] | None = None) -> dict:
    images = images or [{"id": 1, "file_name": "low.png", "height": H, "width": W}]
    for i, a in enumerate(anns, 1):
        a.setdefault("id", i)
        a.setdefault("image_id", 1)
    return {"images": images, "categories": CATS, "annotations": anns}


def test_level_sources_and_part_union() -> None:
    rle_mask = np.zeros((H, W), bool)
    rle_mask[40:50, 5:15] = True
    coco = _coco(
        [
            {"category_id": 1, "segmentation": _square(10, 10), "vertapp": {"vertebra": "L2"}},
            {"category_id": 2, "segmentation": _square(25, 12, 5), "vertapp": {"vertebra": "L2"}},
            {"category_id": 1, "segmentation": _square(40, 10), "vertebra": "L1"},
            {"category_id": 3, "segmentation": rle_to_json(mask_to_rle(rle_mask))},
            {"category_id": 1, "segmentation": _square(60, 40), "vertapp": {"vertebra": "unknown"}},
        ]
    )
    zois, warnings = zois_from_coco(coco, (H, W), "low.png", "low.json")
    assert list(zois) == ["L1", "L2", "L3"]
    assert sorted(zois["L2"].parts) == ["body", "pedicle"]
    assert np.count_nonzero(zois["L2"].mask) == np.count_nonzero(zois["L2"].parts["body"]) + (
        np.count_nonzero(zois["L2"].parts["pedicle"])
    )
    np.testing.assert_array_equal(zois["L3"].mask, rle_mask)
    assert zois["L3"].bbox == (5, 40, 10, 10)
    assert warnings == ["1 annotation(s) name no vertebra (T1 ... L5) and were skipped"]


def test_picks_the_named_image_among_several() -> None:
    images = [
        {"id": 1, "file_name": "a/low.png", "height": H, "width": W},
        {"id": 2, "file_name": "b/high.png", "height": H, "width": W},
    ]
    coco = _coco(
        [
            {"category_id": 3, "segmentation": _square(10, 10)},
            {"category_id": 4, "segmentation": _square(30, 30), "image_id": 2},
        ],
        images,
    )
    zois, _ = zois_from_coco(coco, (H, W), "high.png", "x.json")
    assert list(zois) == ["L4"]
    with pytest.raises(InputError, match="give a file with that one image"):
        zois_from_coco(coco, (H, W), "other.png", "x.json")


@pytest.mark.parametrize(
    ("coco", "error", "words"),
    [
        (_coco([{"category_id": 3, "segmentation": _square(1, 1)}]), InputError, "80x60 image but"),
        (_coco([{"category_id": 3, "segmentation": [[1, 1, 2, 2]]}]), FormatError, "annotation 1"),
        (
            _coco([{"category_id": 1, "segmentation": _square(1, 1)}]),
            InputError,
            "names a vertebra",
        ),
        (
            _coco([{"category_id": 3, "segmentation": rle_to_json(mask_to_rle(np.zeros((H, W))))}]),
            InputError,
            "empty mask",
        ),
    ],
)
def test_bad_input_is_our_error(coco, error, words) -> None:  # type: ignore[no-untyped-def]
    shape = (H + 1, W) if words.startswith("80x60") else (H, W)
    with pytest.raises(error, match=words):
        zois_from_coco(coco, shape, "low.png", "low.json")


def test_unreadable_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="no such file"):
        read_coco_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FormatError, match="not a readable JSON file"):
        read_coco_file(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text(json.dumps([1, 2]))
    with pytest.raises(FormatError, match="not a COCO file"):
        read_coco_file(tmp_path / "list.json")


def test_an_image_record_without_a_size_is_refused_in_words() -> None:
    import pytest as _pytest

    from vertapp.errors import FormatError
    from vertapp.xray.zoi_coco import zois_from_coco

    coco = {"images": [{"id": 1, "file_name": "a.png", "width": 40}], "annotations": []}
    with _pytest.raises(FormatError, match="lacks a whole-number width and height"):
        zois_from_coco(coco, (50, 40), "a.png", "z.json")
