"""An export says how many of the outlines it wrote nobody reviewed (no Qt)."""

from __future__ import annotations

import dataclasses

from tests.unit.review.sample import review_project
from vertapp.annotations.model import Project


def sentence(project: Project, fmt: str = "coco") -> str:
    from vertapp.review.export_words import export_sentence

    return export_sentence(project, "ann.json", fmt)


def test_right_after_predict_the_unreviewed_predictions_are_counted() -> None:
    """The sample: 4 predictions nobody looked at, 1 hand-drawn outline."""
    assert sentence(review_project()) == (
        "Exported ann.json: 5 outlines, 4 of them predictions nobody reviewed "
        "(marked reviewed: false)"
    )


def test_edited_but_not_accepted_ones_are_counted_apart() -> None:
    project = review_project()
    img = project.images[1]
    img.instances[0] = dataclasses.replace(img.instances[0], source="corrected")
    img.instances[1] = dataclasses.replace(img.instances[1], reviewed=True)
    assert sentence(project, "via") == (
        "Exported ann.json: 5 outlines, 2 of them predictions nobody reviewed, "
        "1 edited but never accepted (marked in their 'vertapp' attribute; VIA itself "
        "shows them as plain outlines)"
    )


def test_a_reviewed_project_is_just_counted() -> None:
    project = review_project()
    for img in project.images.values():
        img.instances = [dataclasses.replace(i, reviewed=True) for i in img.instances]
    assert sentence(project) == "Exported ann.json: 5 outlines"
    img = project.images[2]
    img.instances = [dataclasses.replace(img.instances[0], reviewed=False)]
    assert sentence(project).endswith(
        ", 1 of them a prediction nobody reviewed (marked reviewed: false)"
    )
