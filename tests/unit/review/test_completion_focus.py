"""What "completed" means, where review goes after a decision, where a vertebra is, and
the words the panels use for counts and models (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations.model import Instance, Project
from vertapp.annotations.ops import Macro
from vertapp.review import completion as cp
from vertapp.review import status as st
from vertapp.review.focus import outline_centre
from vertapp.review.wording import count, model_words


def complete(project: Project, image_id: int, threshold: float, shown: str | None) -> None:
    ops = cp.completion_ops(project, project.images[image_id], threshold, shown)
    project.apply(Macro(tuple(ops), "Image completed"))


def test_completing_never_leaves_a_shown_prediction_undecided(project: Project) -> None:
    """It gave "completed, 7 to review": marked completed with the predictions untouched."""
    img = project.images[1]
    assert [i.id for i in cp.undecided_shown(img, 0.5)] == [1, 2, 3]
    with pytest.raises(ValueError):  # no answer about them: nothing is decided silently
        cp.completion_ops(project, img, 0.5, None)
    complete(project, 1, 0.5, cp.ACCEPT)
    assert all(i.reviewed for i in img.instances) and len(img.instances) == 3
    assert img.status == st.COMPLETED and st.list_text(img) == "completed"


def test_rejecting_them_completes_an_empty_image(project: Project) -> None:
    complete(project, 1, 0.5, cp.REJECT)
    img = project.images[1]
    assert img.instances == [] and st.list_text(img) == "completed"


def test_predictions_hidden_below_the_threshold_are_rejected_whatever_the_answer(
    project: Project,
) -> None:
    """At 0.85 the 0.80 T2 was never shown: it is not accepted unseen."""
    img = project.images[1]
    assert [i.id for i in cp.undecided_shown(img, 0.85)] == [1, 3]
    complete(project, 1, 0.85, cp.ACCEPT)
    assert [(i.label, i.reviewed) for i in img.instances] == [("T1", True), ("T3", True)]
    assert img.status == st.COMPLETED


def test_an_image_with_nothing_undecided_needs_no_answer(project: Project) -> None:
    assert cp.undecided_shown(project.images[3], 0.5) == []  # hand-drawn ground truth only
    complete(project, 3, 0.5, None)
    assert project.images[3].status == st.COMPLETED


def test_next_undecided_walks_on_and_wraps(project: Project) -> None:
    insts = project.images[1].instances
    assert st.next_undecided(insts, 1) == 1
    insts[1].reviewed = True
    assert st.next_undecided(insts, 1) == 2  # the decided one is passed over
    assert st.next_undecided(insts, 3) == 0  # past the end: back to the top
    for inst in insts:
        inst.reviewed = True
    assert st.next_undecided(insts, 0) is None


def test_outline_centre_is_on_the_vertebra() -> None:
    square = np.array([[10, 20], [30, 20], [30, 60], [10, 60]], float)
    assert outline_centre(Instance(1, "L1", [square])) == pytest.approx((20.0, 40.0))
    # a C shape: its centroid is in the gap, the point taken is on the outline's inside
    c_shape = np.array(
        [[0, 0], [30, 0], [30, 10], [10, 10], [10, 30], [30, 30], [30, 40], [0, 40]], float
    )
    from shapely.geometry import Point, Polygon

    x, y = outline_centre(Instance(2, "L2", [c_shape]))
    assert Polygon(c_shape).contains(Point(x, y))
    assert outline_centre(Instance(3, "L3", [])) is None


def test_counts_and_models_in_words() -> None:
    assert [count(1, "vertebra"), count(9, "vertebra"), count(0, "image")] == [
        "1 vertebra",
        "9 vertebrae",
        "0 images",
    ]
    assert count(2, "predicted vertebra") == "2 predicted vertebrae"
    assert model_words("starter-ct@e4:6cb7ed68af") == "the starter model (epoch 4)"
    assert model_words("model@e1of3:0123abcdef") == "model.pt (epoch 1 of 3)"
    assert model_words("model@e12:0123abcdef", "this project's model") == (
        "this project's model (epoch 12)"
    )
    assert model_words("something else") == "something else"  # never invented
