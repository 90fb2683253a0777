"""Dice, identification and false positives on hand-built masks (DESIGN definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.ml.masks import mask_to_rle
from vertapp.ml.metrics import evaluate, format_table


def block(r0: int, r1: int, c0: int = 10, c1: int = 30, shape=(100, 100)) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


CATS = [
    {"id": 1, "name": "T1"},
    {"id": 2, "name": "T2"},
    {"id": 3, "name": "T3"},
    {"id": 18, "name": "L1"},
]


def coco(anns: list[tuple[int, str, np.ndarray]], spacing: float | None = None) -> dict:
    ids = {c["name"]: c["id"] for c in CATS}
    images = [
        {"id": i, "file_name": f"im{i}.png", "width": 100, "height": 100}
        for i in sorted({a[0] for a in anns} | {1})
    ]
    if spacing:
        for im in images:
            im["vertapp"] = {"spacing_mm": spacing}
    return {
        "images": images,
        "categories": CATS,
        "annotations": [
            {
                "id": k + 1,
                "image_id": img,
                "category_id": ids[name],
                "segmentation": mask_to_rle(m),
                "iscrowd": 0,
                "area": float(m.sum()),
                "score": 0.95,
            }
            for k, (img, name, m) in enumerate(anns)
        ],
    }


GT = [(1, "T1", block(10, 20)), (1, "T2", block(30, 40)), (1, "T3", block(50, 60))]
PRED = [(1, "T1", block(10, 20)), (1, "T2", block(35, 45)), (1, "L1", block(70, 80))]


def test_dice_identification_and_false_positives_are_exact():
    res = evaluate(coco(GT), coco(PRED))
    dice = {v.label: v.dice for v in res.vertebrae}
    # T1 exact; T2 overlaps 5 of 10 rows -> 2*100/(200+200); T3 missed -> 0
    assert dice == {"T1": 1.0, "T2": 0.5, "T3": 0.0}
    assert res.mean_dice == pytest.approx(0.5)
    ident = {v.label: v.identified for v in res.vertebrae}
    assert ident == {"T1": True, "T2": True, "T3": False}
    assert res.identification_rate == pytest.approx(2 / 3)
    assert res.false_positives == [(1, "L1")]
    t2 = next(v for v in res.vertebrae if v.label == "T2")
    assert t2.distance_mm == pytest.approx(5.0)


def test_identification_uses_spacing_and_the_20_mm_limit():
    # 5 mm pixels: the T2 centroid is 25 mm off -> not identified
    res = evaluate(coco(GT, spacing=5.0), coco(PRED), coco_ap=False)
    assert {v.label: v.identified for v in res.vertebrae} == {"T1": True, "T2": False, "T3": False}
    res = evaluate(coco(GT), coco(PRED), spacing_mm=5.0, coco_ap=False)
    assert res.identification_rate == pytest.approx(1 / 3)


def test_identification_requires_the_closest_prediction():
    gt = [(1, "T2", block(30, 40))]
    # the T2 prediction is 8 mm away but a T1 prediction sits 2 mm away
    pred = [(1, "T2", block(38, 48)), (1, "T1", block(32, 42))]
    res = evaluate(coco(gt), coco(pred), coco_ap=False)
    (v,) = res.vertebrae
    assert v.distance_mm == pytest.approx(8.0)
    assert not v.identified
    assert v.dice == pytest.approx(2 * 40 / 400)  # rows 38-39 overlap: 2 x 20 pixels
    assert res.false_positives == [(1, "T1")]


def test_repeated_label_is_the_union_of_its_masks():
    gt = [(1, "T1", block(10, 20))]
    pred = [(1, "T1", block(10, 15)), (1, "T1", block(15, 20))]
    res = evaluate(coco(gt), coco(pred), coco_ap=False)
    assert res.vertebrae[0].dice == 1.0


def test_perfect_prediction_has_ap_one_and_table_lists_labels():
    res = evaluate(coco(GT), coco(GT))
    assert res.mean_dice == 1.0 and res.identification_rate == 1.0
    assert res.coco["segm"]["AP"] == pytest.approx(1.0)
    assert res.coco["bbox"]["AP"] == pytest.approx(1.0)
    table = format_table(res)
    assert "T3" in table and "mean Dice: 1.0000" in table
    assert res.to_dict()["per_label"]["T2"]["n"] == 1


def test_missing_prediction_file_is_a_clear_error(tmp_path):
    from vertapp.errors import InputError

    with pytest.raises(InputError, match="not found"):
        evaluate(coco(GT), tmp_path / "nope.json")


def test_undecided_predictions_in_the_ground_truth_are_not_truth():
    """A project in review as ground truth: its image 2 holds only the model's undecided
    output, which scored as truth flattered the very run it came from."""
    gt = coco(GT + [(2, "T1", block(10, 20))])
    gt["annotations"][-1]["vertapp"] = {"source": "predicted", "reviewed": False}
    pred = coco(PRED + [(2, "T1", block(10, 20))])
    result = evaluate(gt, pred, coco_ap=False)
    assert result.n_images == 1 and result.left_out == 1
    assert len(result.vertebrae) == 3  # image 1's only
    assert "left out: 1 ground-truth image(s)" in format_table(result)
    gt["annotations"][-1]["vertapp"]["reviewed"] = True  # accepted: now it is truth
    assert evaluate(gt, pred, coco_ap=False).n_images == 2
