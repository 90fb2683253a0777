"""Review decisions through the panel: undoable ops, statuses, threshold, navigation."""

from __future__ import annotations

from vertapp.gui.model.review_panel import ReviewPanel
from vertapp.review import status as rv


def select(panel: ReviewPanel, instance_id: int) -> None:
    panel.table.clearSelection()
    panel.table.selectRow(panel._row_ids.index(instance_id))


def test_table_lists_instances_with_order_note(panel) -> None:
    assert panel._row_ids == [1, 2, 3]
    assert panel.table.item(1, 0).text() == "T2"
    assert panel.table.item(1, 1).text() == "0.800"
    assert "model said T3" in panel.table.item(1, 4).text()
    assert panel.table.item(0, 3).text() == "not started"


def test_header_warns_while_levels_rest_on_no_landmark(panel) -> None:
    """Image 1 is a MIP with no hip landmark: its levels are the classes' alone."""
    assert "without a landmark" in panel.image_label.text()
    for row in list(panel._row_ids):
        select(panel, row)
        panel.accept_selected()
    assert "without a landmark" not in panel.image_label.text()  # every level decided


def test_threshold_hides_low_scores_live(panel) -> None:
    panel.set_threshold(0.85)
    assert panel._row_ids == [1, 3]
    assert "1 below the score threshold hidden" in panel.image_label.text()
    panel.set_threshold(0.5)
    assert panel._row_ids == [1, 2, 3]


def test_accept_is_one_undo_step_with_status(panel, review_doc) -> None:
    project = review_doc.project
    select(panel, 1)
    panel.accept_selected()
    inst = project.instance(1)
    assert inst.reviewed and inst.source == "predicted" and inst.score == 0.95
    assert project.images[1].status == "in_progress"
    assert panel.table.item(0, 3).text() == "accepted"
    assert review_doc.stack.count() == 1
    review_doc.stack.undo()
    assert not project.instance(1).reviewed
    assert project.images[1].status == "not_started"
    review_doc.stack.redo()
    assert project.instance(1).reviewed and project.images[1].status == "in_progress"


def test_reject_relabel_and_complete(panel, review_doc) -> None:
    project = review_doc.project
    select(panel, 2)
    panel.reject_selected()
    assert not project.has_instance(2)
    select(panel, 3)
    panel.relabel_combo.setCurrentText("T2")
    panel.relabel_selected()
    inst = project.instance(3)
    assert (inst.label, inst.source, inst.reviewed) == ("T2", "corrected", True)
    assert (inst.score, inst.model_id) == (0.97, "m@e1")  # kept for audit
    select(panel, 1)
    panel.accept_selected()
    assert project.images[1].status == "completed"
    for _ in range(3):
        review_doc.stack.undo()
    assert project.has_instance(2) and project.instance(3).label == "T3"
    assert project.images[1].status == "not_started"


def test_accept_all_above_threshold(panel, review_doc) -> None:
    panel.set_threshold(0.9)
    panel.accept_all_above()
    project = review_doc.project
    assert [project.instance(i).reviewed for i in (1, 2, 3)] == [True, False, True]
    assert review_doc.stack.count() == 1


def test_flags_and_navigation(panel, review_doc) -> None:
    project = review_doc.project
    select(panel, 2)
    panel.flag_selected()
    assert rv.instance_status(project.instance(2)) == rv.FLAGGED
    panel.go_next_unreviewed()
    assert review_doc.current_id == 2  # image 3 has only ground truth
    panel.toggle_image_flag()
    assert project.images[2].status == "flagged"
    panel.go_next_flagged()
    assert review_doc.current_id == 1  # vertebra 2 of image 1 is flagged
    panel.go_next_flagged()
    assert review_doc.current_id == 2
    panel.toggle_image_flag()
    assert project.images[2].status == "not_started"


def test_edit_requests_main_view(panel, qtbot) -> None:
    select(panel, 3)
    with qtbot.waitSignal(panel.edit_requested) as blocker:
        panel.edit_selected()
    assert blocker.args == [3]


def test_hand_drawn_outlines_are_not_rejected(panel, review_doc) -> None:
    review_doc.set_current(3)
    select(panel, 5)
    messages = []
    panel.message.connect(messages.append)
    panel.reject_selected()
    assert review_doc.project.has_instance(5) and review_doc.stack.count() == 0
    assert messages == ["Only predictions can be rejected; delete a drawn outline instead."]


def test_clearing_the_expert_flag_is_one_undo_step(panel, review_doc) -> None:
    for row in list(panel._row_ids):  # every vertebra of image 1 accepted: completed
        select(panel, row)
        panel.accept_selected()
    img = review_doc.project.images[1]
    assert img.status == rv.COMPLETED
    panel.toggle_image_flag()
    assert img.status == rv.FLAGGED
    panel.toggle_image_flag()
    assert img.status == rv.COMPLETED  # what its vertebrae say
    review_doc.stack.undo()
    assert img.status == rv.FLAGGED  # one Ctrl+Z brings the flag back


def test_hidden_predictions_neither_hold_navigation_nor_outlive_completion(
    panel, review_doc
) -> None:
    """At 0.85 image 1's T2 (0.80) is hidden: once the rest is decided, Next unreviewed
    does not send the reviewer back to it, and Mark completed rejects it (one undo step)."""
    project = review_doc.project
    panel.set_threshold(0.85)
    panel.accept_all_above()  # T1, T3 of image 1
    review_doc.set_current(2)
    panel.accept_all_above()  # L1 of image 2
    messages = []
    panel.message.connect(messages.append)
    panel.go_next_unreviewed()
    assert review_doc.current_id == 2 and messages == ["No other image needing review."]
    review_doc.set_current(1)
    panel.mark_completed()
    img = project.images[1]
    assert [i.label for i in img.instances] == ["T1", "T3"] and img.status == rv.COMPLETED
    review_doc.stack.undo()
    assert [i.label for i in img.instances] == ["T1", "T2", "T3"]
    assert img.status != rv.COMPLETED


def test_a_read_only_project_refuses_review_decisions_in_words(panel, review_doc) -> None:
    """Opened read-only (another window has it): every decision is refused with the
    reason, as a note; the image status buttons raised into the crash dialog."""
    project = review_doc.project
    project.read_only = "opened read-only here"
    said: list[str] = []
    panel.message.connect(said.append)
    select(panel, 1)
    panel.accept_selected()
    panel.toggle_image_flag()  # an image status alone
    panel.set_threshold(0.99)
    panel.mark_completed()  # with the predictions hidden below the threshold rejected
    assert said == ["opened read-only here"] * 3
    assert not project.instance(1).reviewed and project.images[1].status == "not_started"
    assert review_doc.stack.count() == 0
