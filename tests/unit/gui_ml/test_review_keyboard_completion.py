"""The review panel as a keyboard reviewer uses it, Mark completed with predictions still
undecided, and the predict panel's words after runs and decisions (UX audit round 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.unit.gui_ml.test_predict_compare import fake_factory, run_for
from vertapp.gui.document.undo import OpCommand
from vertapp.gui.model.predict_panel import PredictPanel
from vertapp.gui.model.review_panel import ReviewPanel
from vertapp.review import completion, decisions
from vertapp.review import status as rv


def select(panel: ReviewPanel, instance_id: int) -> None:
    panel.table.clearSelection()
    panel.table.selectRow(panel._row_ids.index(instance_id))


def test_accept_moves_on_to_the_next_undecided_row(panel, review_doc) -> None:
    """A, A, A walks the list (Accept kept the same row selected; Reject moved on)."""
    select(panel, 1)
    chosen: list[object] = []
    panel.instance_selected.connect(chosen.append)  # the main view follows each step
    panel.accept_selected()
    assert panel.selected_ids() == [2] and chosen == [2]
    panel.accept_selected()
    assert panel.selected_ids() == [3]
    panel.accept_selected()
    project = review_doc.project
    assert all(project.instance(i).reviewed for i in (1, 2, 3))
    assert panel.selected_ids() == [3]  # nothing left to decide: it stays where it was


def test_accept_skips_decided_rows_and_wraps_to_the_top(panel, review_doc) -> None:
    select(panel, 2)
    panel.accept_selected()  # 1 and 3 wait
    select(panel, 3)
    panel.accept_selected()
    assert panel.selected_ids() == [1]  # past the end: the first one still waiting


def test_reject_moves_on_to_the_next_undecided_row(panel, review_doc) -> None:
    select(panel, 2)
    panel.accept_selected()
    select(panel, 1)
    panel.reject_selected()
    assert panel.selected_ids() == [3]  # 2 (now first) is decided: passed over


def test_mark_completed_with_undecided_predictions_asks_and_cancel_changes_nothing(
    panel, review_doc
) -> None:
    """It completed the image with them untouched: "completed, 3 to review"."""
    asked: list[int] = []
    said: list[str] = []
    panel.message.connect(said.append)
    panel.ask_undecided = lambda n: asked.append(n) or "cancel"
    select(panel, 1)
    panel.accept_selected()
    panel.mark_completed()
    img = review_doc.project.images[1]
    assert asked == [2] and img.status != rv.COMPLETED
    assert review_doc.stack.count() == 1  # the accept only
    assert said[-1] == "Not completed: 2 predictions still wait for a decision."


@pytest.mark.parametrize("answer", [completion.ACCEPT, completion.REJECT])
def test_mark_completed_decides_them_as_answered_in_one_undo_step(
    panel, review_doc, answer
) -> None:
    panel.ask_undecided = lambda n: answer
    panel.mark_completed()
    img = review_doc.project.images[1]
    assert img.status == rv.COMPLETED and rv.list_text(img) == "completed"
    if answer == completion.ACCEPT:
        assert [i.reviewed for i in img.instances] == [True, True, True]
        assert panel.note.text() == "Image completed: 3 predictions accepted."
    else:
        assert img.instances == []
    assert review_doc.stack.count() == 1
    review_doc.stack.undo()
    assert len(img.instances) == 3 and not any(i.reviewed for i in img.instances)
    assert img.status == rv.NOT_STARTED


def test_the_question_defaults_to_cancel(qtbot) -> None:
    """Enter pressed without reading (or Escape) must decide nothing."""
    from vertapp.gui.model.completion_prompt import undecided_box

    box = undecided_box(None, 7)
    qtbot.addWidget(box)
    assert "7 predictions of this image are still undecided" in box.text()
    texts = [b.text().replace("&", "") for b in box.buttons()]
    assert {"Accept them", "Reject them", "Cancel"} <= set(texts)
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert box.escapeButton() is box.button(QMessageBox.StandardButton.Cancel)


def test_header_counts_in_words(panel) -> None:
    assert "3 predictions to review" in panel.image_label.text()
    select(panel, 1)
    panel.accept_selected()
    select(panel, 2)
    panel.accept_selected()
    assert "1 prediction to review" in panel.image_label.text()


# -- predict panel ---------------------------------------------------------------------------
@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "m.pt"
    path.write_bytes(b"x")
    return path


def test_the_summary_is_recounted_on_every_decision(qtbot, review_doc) -> None:
    """It still said "9 waiting for review" after decisions."""
    p = PredictPanel(review_doc, fake_factory(run_for([1])))
    qtbot.addWidget(p)
    assert p.summary.text().endswith("; 4 waiting for review")
    assert p.summary.toolTip() == "Models: m@e1"  # the exact id stays at hand
    project = review_doc.project
    ops = decisions.accept_ops(project, [1]) + decisions.reject_ops(project, [2])
    inverse = decisions.apply_with_status(project, ops, 1)
    review_doc.stack.push(OpCommand(project.apply, inverse, "Review"))
    assert p.summary.text() == (
        "3 predicted vertebrae in this project, from m.pt (epoch 1); 2 waiting for review"
    )
    review_doc.stack.undo()
    assert p.summary.text().endswith("; 4 waiting for review")


def test_a_run_is_told_in_words_and_the_progress_bar_only_shows_while_running(
    qtbot, review_doc, model
) -> None:
    p = PredictPanel(review_doc, fake_factory(run_for([1])))
    qtbot.addWidget(p)
    p.set_model_path(model)
    p.show()
    assert p.progress.isHidden()  # idle: no empty bar
    with qtbot.waitSignal(p.run_finished, timeout=5000):
        p.predict_current()
        assert p.progress.isVisible()
    assert p.progress.isHidden()
    assert p.status.text() == "Last run: 2 vertebrae predicted by m.pt (epoch 2)."
    assert "m@e2:123" in p.status.toolTip()  # the audit id, one hover away
    assert "(e)" not in p.summary.text()


def test_the_run_line_tells_a_past_run_while_the_summary_recounts(qtbot, review_doc, model) -> None:
    """It kept saying "2 vertebrae predicted" above one: read as a count of the image."""
    p = PredictPanel(review_doc, fake_factory(run_for([1])))
    qtbot.addWidget(p)
    p.set_model_path(model)
    with qtbot.waitSignal(p.run_finished, timeout=5000):
        p.predict_current()
    project = review_doc.project
    first = project.images[1].instances[0].id
    inverse = decisions.apply_with_status(project, decisions.reject_ops(project, [first]), 1)
    review_doc.stack.push(OpCommand(project.apply, inverse, "Reject"))
    assert p.status.text().startswith("Last run: 2 vertebrae predicted")
    assert p.summary.text().startswith("2 predicted vertebrae in this project")  # 1 + image 2's


def test_a_run_on_ground_truth_only_says_so_and_is_for_compare(qtbot, review_doc, model) -> None:
    """Predict all on a labelled project said "0 vertebra(e) predicted"."""
    p = PredictPanel(review_doc, fake_factory(run_for([3])))
    qtbot.addWidget(p)
    p.set_model_path(model)
    with qtbot.waitSignal(p.run_finished, timeout=5000):
        p.predict_all()
    assert p.all_to_compare()
    text = p.status.text()
    assert text.startswith("Last run: predicted by m.pt (epoch 2).") and "0 vertebra" not in text
    assert "1 image with ground truth kept as is: see Compare" in text


def test_the_default_models_name_and_reason(qtbot, review_doc) -> None:
    p = PredictPanel(review_doc, fake_factory(run_for([1])))
    qtbot.addWidget(p)
    p.default_model = lambda: (
        Path("starter-ct.pt"),
        "the starter model",
        "this project has no model of its own",
    )
    run = run_for([1])
    p.predict_current()  # the fake factory does not read the file
    qtbot.waitUntil(lambda: not p.is_running(), timeout=5000)
    assert p.status.text() == (
        "Last run: 2 vertebrae predicted by the starter model (epoch 2); "
        "this project has no model of its own."
    )
    assert run.model_id in p.status.toolTip()


def test_a_refusal_reaches_the_status_bar_too(qtbot, review_doc) -> None:
    """The panel may be hidden when Ctrl+P is pressed: its words alone went unseen."""
    p = PredictPanel(review_doc, fake_factory(run_for([1])))
    qtbot.addWidget(p)
    said: list[str] = []
    p.message.connect(said.append)
    p.set_model_path("/nonexistent/model.pt")
    p.predict_current()
    assert said == ["Model file not found: /nonexistent/model.pt"]
