"""Predictions against the hand-drawn ground truth (the project's "manual" instances)."""

from __future__ import annotations

import copy

from vertapp.jobs import run_job
from vertapp.review.compare import compare, compare_job, ground_truth_coco, has_ground_truth


def test_ground_truth_is_the_hand_drawn_outlines_only(project) -> None:
    gt = ground_truth_coco(project, [1, 3])
    assert [r["id"] for r in gt["images"]] == [1, 3]
    assert [a["id"] for a in gt["annotations"]] == [5]
    assert has_ground_truth(project, 3) and not has_ground_truth(project, 1)


def test_a_vertebra_drawn_beside_predictions_is_not_ground_truth(project) -> None:
    """The reviewer draws the T8 the model missed: the image is still a reviewed
    prediction (the next run replaces its undecided ones), not a reference for Compare."""
    from tests.unit.review.sample import square
    from vertapp.annotations.model import Instance
    from vertapp.review import decisions

    project.images[1].instances.append(Instance(99, "T8", [square(40, 40, 10)]))
    assert not has_ground_truth(project, 1)
    shape = type(
        "S",
        (),
        {
            "label": "T1",
            "score": 0.9,
            "order_changed": False,
            "original_label": None,
            "polygons": [square(10, 2, 12)],
        },
    )()
    _, added, skipped = decisions.apply_predictions(project, {1: [shape], 3: [shape]}, "m@e3")
    assert skipped == [3] and added == 1  # image 3 (drawn only) is still the reference
    assert "T8" in [i.label for i in project.images[1].instances]  # the drawn one stays


def test_a_perfect_and_a_shifted_prediction(project) -> None:
    gt = ground_truth_coco(project, [3])
    run = copy.deepcopy(gt)
    for ann in run["annotations"]:
        ann["score"] = 0.9
    assert compare(project, run, [3], 0.5).mean_dice == 1.0
    shifted = copy.deepcopy(run)
    seg = shifted["annotations"][0]["segmentation"][0]
    shifted["annotations"][0]["segmentation"][0] = [
        v + 5 if k % 2 == 0 else v for k, v in enumerate(seg)
    ]
    result = run_job(compare_job(gt, shifted, [3], 0.5))
    assert 0.2 < result.mean_dice < 0.8 and result.identification_rate == 1.0
