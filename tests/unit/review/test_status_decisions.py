"""Review decisions are annotation ops: they change statuses and undo exactly (no Qt)."""

from __future__ import annotations

from vertapp.review import decisions as dec
from vertapp.review import status as st


def test_statuses_follow_the_instances(project) -> None:
    assert [st.instance_status(i) for i in project.images[1].instances] == [st.NOT_STARTED] * 3
    assert st.instance_status(project.instance(5)) == st.COMPLETED  # drawn by hand
    assert st.needs_review(project.images[1]) and not st.needs_review(project.images[3])


def test_accept_then_undo_restores_instance_and_image(project) -> None:
    inverse = dec.apply_with_status(project, dec.accept_ops(project, [1, 2, 3]), 1)
    assert all(i.reviewed for i in project.images[1].instances)
    assert project.images[1].status == st.COMPLETED
    project.apply(inverse)
    assert not any(i.reviewed for i in project.images[1].instances)
    assert project.images[1].status == st.NOT_STARTED


def test_partial_accept_puts_image_in_progress(project) -> None:
    dec.apply_with_status(project, dec.accept_ops(project, [1]), 1)
    assert project.images[1].status == st.IN_PROGRESS


def test_reject_removes_and_hand_drawn_outlines_are_not_decided(project) -> None:
    assert dec.accept_ops(project, [5]) == [] and dec.reject_ops(project, [5]) == []
    inverse = dec.apply_with_status(project, dec.reject_ops(project, [4]), 2)
    assert not project.has_instance(4)
    project.apply(inverse)
    assert project.instance(4).score == 0.99


def test_relabel_marks_corrected_and_reviewed(project) -> None:
    dec.apply_with_status(project, dec.relabel_ops(project, 2, "T4"), 1)
    inst = project.instance(2)
    assert (inst.label, inst.source, inst.reviewed) == ("T4", "corrected", True)
    assert inst.score == 0.80 and inst.model_id == "m@e1"  # kept for audit


def test_flag_toggles_and_makes_the_image_flagged(project) -> None:
    inverse = dec.apply_with_status(project, dec.flag_ops(project, [3]), 1)
    assert st.instance_status(project.instance(3)) == st.FLAGGED
    assert st.is_flagged(project.images[1])
    dec.apply_with_status(project, dec.flag_ops(project, [3]), 1)
    assert st.instance_status(project.instance(3)) == st.NOT_STARTED
    project.apply(inverse)  # the first inverse un-flags from the original state again
    assert not st.is_flagged(project.images[1])


def test_accept_above_threshold_takes_only_high_scores(project) -> None:
    ops = dec.accept_above_ops(project.images[1], 0.9)
    assert sorted(op.instance_id for op in ops) == [1, 3]


def test_next_unreviewed_wraps_and_skips_done_images(project) -> None:
    order = [1, 2, 3]
    assert st.next_image(project, order, 1) == 2
    assert st.next_image(project, order, 2) == 1  # wraps past 3 (hand-drawn, nothing pending)
    dec.apply_with_status(project, dec.accept_ops(project, [4]), 2)
    assert st.next_image(project, order, 1) is None
    dec.apply_with_status(project, dec.flag_ops(project, [5]), 3)
    assert st.next_image(project, order, 1, flagged=True) == 3


def test_new_predictions_replace_undecided_ones_only(project) -> None:
    dec.apply_with_status(project, dec.accept_ops(project, [1]), 1)
    shape = type(
        "Shape",
        (),
        {
            "label": "T5",
            "polygons": [[[0, 0], [5, 0], [5, 5]]],
            "score": 0.7,
            "order_changed": True,
            "original_label": "T6",
        },
    )()
    new = dec.prediction_instances(project, [shape], "m@e2")
    dec.apply_with_status(project, dec.replace_prediction_ops(project.images[1], new), 1)
    labels = [(i.label, i.model_id) for i in project.images[1].instances]
    assert labels == [("T1", "m@e1"), ("T5", "m@e2")]
    assert st.app_field(project.images[1].instances[1], st.ORIGINAL_LABEL_KEY) == "T6"


def test_a_flagged_prediction_is_never_hidden_by_the_threshold(project) -> None:
    low = project.instance(2)  # score 0.80
    assert st.hidden_by_threshold(low, 0.9)
    dec.apply_with_status(project, dec.flag_ops(project, [2]), 1)
    assert not st.hidden_by_threshold(low, 0.9) and not st.hidden_by_threshold(low, 0.99)
    assert not st.hidden_by_threshold(project.instance(5), 0.99)  # hand-drawn


def test_relabel_onto_a_used_label_finds_the_holder_and_swaps(project) -> None:
    img = project.images[1]
    holder = dec.label_holder(img, 1, "T3")
    assert holder is not None and holder.id == 3
    assert dec.label_holder(img, 1, "T1") is None and dec.label_holder(img, 1, "L4") is None
    inverse = dec.apply_with_status(project, dec.swap_label_ops(project, 1, 3), 1)
    assert (project.instance(1).label, project.instance(3).label) == ("T3", "T1")
    assert project.instance(1).reviewed and not project.instance(3).reviewed
    assert sorted(i.label for i in img.instances) == ["T1", "T2", "T3"]  # no label doubled
    project.apply(inverse)
    assert (project.instance(1).label, project.instance(3).label) == ("T1", "T3")
