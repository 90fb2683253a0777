"""`vertapp evaluate` refuses malformed ground truth and predictions in words.

Read unchecked, they said "unexpected error ...; this is a bug", or named no file or
record, or scored 0 with exit 0 (results of images the ground truth does not hold,
`--score 2`, `--spacing nan`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vertapp.cli import main
from vertapp.errors import FormatError, InputError
from vertapp.ml.masks import mask_to_rle
from vertapp.ml.metrics import evaluate


def _mask() -> dict[str, Any]:
    m = np.zeros((40, 40), bool)
    m[10:20, 10:30] = True
    return mask_to_rle(m)


def _truth() -> dict[str, Any]:
    return {
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 40}],
        "categories": [{"id": 1, "name": "T1"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": _mask()}],
    }


def _results() -> list[dict[str, Any]]:
    return [{"image_id": 1, "category_id": 1, "segmentation": _mask(), "score": 0.9}]


def _write(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _gt(folder: Path, **changes: Any) -> Path:
    """gt.json with the changes: `width`, `annotations`, or a key to drop/set on the
    annotation (`ann_<key>`; None drops it)."""
    data = _truth()
    for key, value in changes.items():
        if key == "width":
            data["images"][0]["width"] = value
        elif key.startswith("ann_") and value is None:
            del data["annotations"][0][key[4:]]
        elif key.startswith("ann_"):
            data["annotations"][0][key[4:]] = value
        else:
            data[key] = value
    return _write(folder, "gt.json", data)


BAD_TRUTH = [
    ({"annotations": {"a": 1}}, r"annotations: expected a list, got dict"),
    ({"ann_category_id": None}, r"annotations\[0\] \(id 1\): 'category_id' must be an integer"),
    ({"width": "wide"}, r"images\[0\] \(id 1\): 'width' must be an integer, got 'wide'"),
    ({"ann_segmentation": "abc"}, r"annotations\[0\] \(id 1\): 'segmentation' must be"),
]


@pytest.mark.parametrize(("changes", "words"), BAD_TRUTH)
def test_bad_ground_truth_is_refused_naming_file_and_record(
    tmp_path: Path, changes: dict[str, Any], words: str
) -> None:
    gt = _gt(tmp_path, **changes)
    pred = _write(tmp_path, "pred.json", _results())
    with pytest.raises(FormatError, match=re.escape(str(gt)) + ": " + words):
        evaluate(gt, pred, coco_ap=False)


BAD_RESULTS = [
    ([dict(_results()[0], score="high")], r"result\[0\]: 'score' must be a finite number"),
    ([1, 2], r"result\[0\]: expected an object, got int"),
    ([dict(_results()[0], segmentation="abc")], r"result\[0\]: segmentation: .*not str"),
    ([dict(_results()[0], image_id=101)], r"result\[0\]: refers to image 101, which the gro"),
]


@pytest.mark.parametrize(("results", "words"), BAD_RESULTS)
def test_bad_results_are_refused_naming_file_and_record(
    tmp_path: Path, results: list[Any], words: str
) -> None:
    good = evaluate(_gt(tmp_path), _write(tmp_path, "good.json", _results()), coco_ap=False)
    assert good.mean_dice == pytest.approx(1.0) and good.identification_rate == 1.0
    pred = _write(tmp_path, "pred.json", results)
    with pytest.raises(FormatError, match=re.escape(str(pred)) + ": " + words):
        evaluate(_gt(tmp_path), pred, coco_ap=False)


@pytest.mark.parametrize(
    "options",
    [{"score_thresh": 2.0}, {"score_thresh": float("nan")}, {"spacing_mm": float("nan")}],
)
def test_option_values_that_would_score_zero_are_refused(
    tmp_path: Path, options: dict[str, float]
) -> None:
    with pytest.raises(InputError, match="is not a"):
        evaluate(_gt(tmp_path), _results(), coco_ap=False, **options)


@pytest.mark.parametrize(
    ("flag", "words"),
    [("--score=2", "not a confidence in 0..1"), ("--spacing=nan", "not a pixel size in mm")],
)
def test_the_command_refuses_such_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, words: str
) -> None:
    pred = _write(tmp_path, "pred.json", _results())
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", str(_gt(tmp_path)), str(pred), "--no-ap", flag])
    assert exc.value.code == 2 and words in capsys.readouterr().err


def test_the_command_says_a_bad_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pred = _write(tmp_path, "pred.json", [dict(_results()[0], score="high")])
    assert main(["evaluate", str(_gt(tmp_path)), str(pred), "--no-ap"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vertapp evaluate: error: ") and "this is a bug" not in err
    assert f"{pred}: result[0]: 'score' must be a finite number" in err
