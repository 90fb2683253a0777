"""Round 14: `vertapp evaluate` scores model output only.

A whole exported project as PRED held the hand-drawn labels of the images nobody
predicted; scored as predictions they were perfect ones, and the demo's mean Dice read
0.913 where the one predicted image scored 0.702. Plain COCO prediction files (a
results list, or a COCO without VertApp fields) are scored as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vertapp.cli import main
from vertapp.ml.masks import mask_to_rle
from vertapp.ml.metrics import evaluate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")


def _rle(rows: slice) -> dict[str, Any]:
    m = np.zeros((60, 40), bool)
    m[rows, 10:30] = True
    return mask_to_rle(m)


TRUE, HALF = _rle(slice(10, 30)), _rle(slice(20, 40))  # Dice of HALF: 0.5


def _truth() -> dict[str, Any]:
    images = [{"id": i, "file_name": f"{i}.png", "width": 40, "height": 60} for i in (1, 2, 3)]
    anns = [{"id": i, "image_id": i, "category_id": 1, "segmentation": TRUE} for i in (1, 2, 3)]
    return {"images": images, "categories": [{"id": 1, "name": "T1"}], "annotations": anns}


def _ann(i: int, image: int, seg: dict[str, Any], **app: Any) -> dict[str, Any]:
    ann: dict[str, Any] = {"id": i, "image_id": image, "category_id": 1, "segmentation": seg}
    if "score" in app:
        ann["score"] = app.pop("score")
    if app:
        ann["vertapp"] = app
    return ann


def _export() -> dict[str, Any]:
    """A whole project exported: images 1, 2 hand-drawn only, image 3 predicted."""
    data = _truth()
    data["annotations"] = [
        _ann(1, 1, TRUE, source="manual", reviewed=False),
        _ann(2, 2, TRUE, source="manual", reviewed=False),
        _ann(3, 3, HALF, source="predicted", reviewed=True, score=0.9),
    ]
    return data


def test_hand_drawn_images_of_an_exported_project_are_not_scored() -> None:
    result = evaluate(_truth(), _export(), coco_ap=False)
    assert (result.n_images, result.hand_drawn_images) == (1, 2)
    assert result.mean_dice == pytest.approx(0.5)
    every = evaluate(_truth(), _export(), coco_ap=False, score_all=True)
    assert (every.n_images, every.hand_drawn_images) == (3, 0)
    assert every.mean_dice == pytest.approx(2.5 / 3)


def test_a_hand_drawn_outline_beside_predictions_is_not_a_prediction() -> None:
    pred = _export()
    pred["annotations"].append(_ann(4, 3, TRUE, source="manual"))
    result = evaluate(_truth(), pred, coco_ap=False)
    assert (result.mean_dice, result.hand_drawn_outlines) == (pytest.approx(0.5), 1)


def test_corrected_outlines_and_scored_ones_are_model_output() -> None:
    pred = _export()
    pred["annotations"][0] = _ann(1, 1, HALF, source="corrected", reviewed=True)
    pred["annotations"][1] = _ann(2, 2, HALF, score=0.8)  # no source: its score says
    pred["annotations"].append(_ann(4, 1, TRUE, source="manual"))
    result = evaluate(_truth(), pred, coco_ap=False)
    assert (result.n_images, result.hand_drawn_images, result.hand_drawn_outlines) == (3, 0, 1)


def test_plain_prediction_files_are_scored_as_before() -> None:
    plain = _truth()  # a COCO without VertApp fields: every outline a prediction
    plain["annotations"][2]["segmentation"] = HALF
    assert evaluate(_truth(), plain, coco_ap=False).n_images == 3
    results = [_ann(1, 3, HALF, score=0.9)]  # a pycocotools results list
    result = evaluate(_truth(), results, coco_ap=False)
    assert (result.n_images, result.hand_drawn_images) == (3, 0)


def test_the_cli_says_what_it_left_out(tmp_path: Path, capsys) -> None:
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(_truth()))
    pred.write_text(json.dumps(_export()))
    assert main(["evaluate", str(gt), str(pred), "--json", "--no-ap"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["images_hand_drawn_only_not_scored"] == 2
    assert json.loads(out)["mean_dice"] == pytest.approx(0.5)
    assert (
        "warning: 2 images hold no model output (hand-drawn only): not scored; "
        "--all to score them" in err
    )
    assert main(["evaluate", str(gt), str(pred), "--no-ap", "--all"]) == 0
    out, err = capsys.readouterr()
    assert "mean Dice: 0.8333" in out and "hand-drawn" not in err
