"""Review decisions are annotation ops: they change statuses and undo exactly (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.review.sample import square
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.errors import VertAppError
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


def test_accepting_an_accepted_prediction_adds_no_step(project) -> None:
    """A on an accepted prediction pushed an undo step that changed nothing."""
    dec.apply_with_status(project, dec.accept_ops(project, [1]), 1)
    assert dec.accept_ops(project, [1]) == [] and dec.already_accepted(project, [1])
    assert [op.instance_id for op in dec.accept_ops(project, [1, 2])] == [2]
    assert not dec.already_accepted(project, [1, 2]) and not dec.already_accepted(project, [5])


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


def test_shifting_levels_renumbers_the_whole_image_in_one_undoable_step(project) -> None:
    """The usual numbering error is the whole spine one level off: +1 moves every vertebra
    one level down (T1 -> T2), outlines kept, predictions marked corrected; undo restores."""
    before = [(i.label, i.source) for i in project.images[1].instances]
    inverse = dec.apply_with_status(project, dec.shift_levels_ops(project, 1, +1), 1)
    insts = project.images[1].instances
    assert [i.label for i in insts] == ["T2", "T3", "T4"]
    assert {i.source for i in insts} == {"corrected"}
    assert not any(i.reviewed for i in insts)  # renumbered, not yet looked at
    assert [i.label for i in project.images[2].instances] == ["L1"]  # other images untouched
    project.apply(inverse)
    assert [(i.label, i.source) for i in project.images[1].instances] == before


def test_shifting_levels_past_t1_or_l5_is_refused_in_words(project) -> None:
    with pytest.raises(VertAppError, match="T1 would go above T1"):
        dec.shift_levels_ops(project, 1, -1)
    with pytest.raises(VertAppError, match="a shift of 0 levels"):
        dec.shift_levels_ops(project, 1, 0)
    project.images[3].instances.clear()
    with pytest.raises(VertAppError, match="no vertebra numbered"):
        dec.shift_levels_ops(project, 3, 1)


def test_shifting_levels_moves_radiograph_parts_with_their_vertebra() -> None:
    """Parts carry their vertebra in annotation["vertapp"]["vertebra"]: all of L3's parts
    become L4's, in place (same outlines, same order), a pedicle of T12 becomes L1's."""

    def part(iid: int, label: str, level: str, source: str = "predicted") -> Instance:
        return Instance(
            iid,
            label,
            [square(10, iid * 5, 4)],
            source=source,
            extra={"vertapp": {"vertebra": level}},
        )

    project = Project(label_set="parts")
    parts = [part(1, "body", "T12"), part(2, "pedicle", "T12"), part(3, "body", "L3", "manual")]
    parts.append(part(4, "pedicle", "unknown"))
    project.add_image(ImageRecord(1, "images/x.png", 64, 64, instances=parts))
    inverse = dec.apply_with_status(project, dec.shift_levels_ops(project, 1, +1), 1)
    insts = project.images[1].instances
    assert [(i.id, i.label, i.extra["vertapp"]["vertebra"]) for i in insts] == [
        (1, "body", "L1"),
        (2, "pedicle", "L1"),
        (3, "body", "L4"),
        (4, "pedicle", "unknown"),
    ]
    assert [i.source for i in insts] == ["corrected", "corrected", "manual", "predicted"]
    assert np.array_equal(insts[0].polygons[0], square(10, 5, 4))
    project.apply(inverse)
    assert [i.extra["vertapp"]["vertebra"] for i in project.images[1].instances] == [
        "T12",
        "T12",
        "L3",
        "unknown",
    ]


def test_accept_all_above_leaves_flagged_vertebrae_to_the_expert(project) -> None:
    dec.apply_with_status(project, dec.flag_ops(project, [3]), 1)  # T3, 0.97
    ops = dec.accept_above_ops(project.images[1], 0.5)
    assert sorted(op.instance_id for op in ops) == [1, 2]


def test_a_rejection_is_a_decision(project) -> None:
    """Reject 1 of 3: the image is in progress; reject an image's only prediction: the
    image has been reviewed (completed), not left "not started" for good."""
    dec.apply_with_status(project, dec.reject_ops(project, [1]), 1)
    assert project.images[1].status == st.IN_PROGRESS
    undo = dec.apply_with_status(project, dec.reject_ops(project, [4]), 2)
    assert not project.images[2].instances and project.images[2].status == st.COMPLETED
    project.apply(undo)
    assert project.images[2].status == st.NOT_STARTED and project.images[2].instances


def test_a_shift_follows_what_is_shown(project) -> None:
    """Hidden below the threshold: a 0.80 T2 on image 1, a 0.30 L5 added to image 2. They
    neither refuse a shift nor come out corrected; one pushed past L5 is dropped."""
    from tests.unit.review.sample import predicted
    from vertapp.annotations.ops import AddInstance

    img1, img2 = project.images[1], project.images[2]
    dec.apply_with_status(project, dec.shift_levels_ops(project, 1, 1, hidden=[2]), 1)
    assert [(i.label, i.source) for i in img1.instances] == [
        ("T2", "corrected"),
        ("T3", "predicted"),
        ("T4", "corrected"),
    ]
    assert not img1.instances[1].reviewed  # still undecided, still hidden
    project.apply(AddInstance(2, predicted(9, "L5", 40, 0.30)))
    with pytest.raises(VertAppError, match="L5 would go below L5"):
        dec.shift_levels_ops(project, 2, 1)  # counted as shown: refused as before
    dec.apply_with_status(project, dec.shift_levels_ops(project, 2, 1, hidden=[9]), 2)
    assert [(i.label, i.source) for i in img2.instances] == [("L2", "corrected")]


def test_deleting_a_prediction_by_hand_is_a_decision_too(project) -> None:
    """The Delete key on the last undecided prediction, the rest accepted: completed (it
    stayed "in progress" with nothing to review)."""
    dec.apply_with_status(project, dec.accept_ops(project, [1, 2]), 1)
    img = project.images[1]
    assert img.status == st.IN_PROGRESS
    assert st.status_after_hand_edit(img, deleted=3) == st.COMPLETED
    # a drawn image keeps the old rule: its first hand edit puts it in progress
    assert st.status_after_hand_edit(project.images[3], deleted=5) == st.IN_PROGRESS


def test_the_predict_panel_says_what_a_project_opened_with_predictions_holds(project) -> None:
    """It said "No prediction yet" above a table of them; then "vertebra(e)" and the
    model's audit id ("m@e1") where a reader wants words."""
    text = st.stored_predictions_text(project)
    assert (
        text == "4 predicted vertebrae in this project, from m.pt (epoch 1); 4 waiting for review"
    )
    assert st.stored_model_ids(project) == ["m@e1"]  # the exact id, for the tooltip
    assert st.stored_predictions_text(Project(label_set="vertebrae")) == "No prediction yet"


def test_the_review_table_says_accepted_not_the_images_completed(project) -> None:
    """An image is "completed" (list, header); a vertebra in the table says what was done
    to it. The saved status and the summary's counts keep "completed"."""
    dec.apply_with_status(project, dec.accept_ops(project, [1]), 1)
    accepted, undecided = project.instance(1), project.instance(2)
    assert st.instance_status(accepted) == st.COMPLETED
    assert st.row_text(accepted) == "accepted"
    assert st.row_text(undecided) == "not started"
    assert st.row_text(project.instance(5)) == "hand-drawn"
    assert st.STATUS_TEXT[st.COMPLETED] == "completed"
