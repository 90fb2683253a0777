"""Issue #19 item 6: the review panel as a reviewer uses it, beside the axial view."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations.model import ImageRecord, Instance, Project

H, W = 120, 64
SCORES = {"T12": 0.97, "L1": 0.95, "L2": 0.40, "L3": 0.93, "L4": 0.60}


def _box(k: int) -> np.ndarray:
    y = 4 + 22 * k
    return np.array([[16, y], [48, y], [48, y + 16], [16, y + 16]], np.float64)


def _project() -> tuple[Project, dict[int, np.ndarray]]:
    project = Project(label_set="vertebrae")
    rec = ImageRecord(1, "images/spine.png", W, H, patient_key="p1")
    rec.instances = [
        Instance(k + 1, label, [_box(k)], source="predicted", score=score, model_id="m@e3")
        for k, (label, score) in enumerate(SCORES.items())
    ]
    project.add_image(rec)
    return project, {1: np.full((H, W), 30, np.uint8)}


@pytest.fixture
def review(window):  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    wf = install_model_workflow(window)
    project, pending = _project()
    window.doc.set_project(project, "review", pending=pending)
    window.doc.set_current(1)
    wf.predict_panel.set_threshold(0.9)
    return wf.review_panel


def _ids(panel) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {i.label: i.id for i in panel.host.project.images[1].instances}


def _select(panel, label: str) -> None:  # type: ignore[no-untyped-def]
    panel.table.clearSelection()
    panel.table.selectRow(panel._row_ids.index(_ids(panel)[label]))


def test_relabel_box_shows_the_selected_vertebra_and_its_list_scrolls(review) -> None:  # type: ignore[no-untyped-def]
    _select(review, "L3")
    assert review.relabel_combo.currentText() == "L3"
    _select(review, "T12")
    assert review.relabel_combo.currentText() == "T12"
    assert review.relabel_combo.maxVisibleItems() <= 15 < review.relabel_combo.count()
    assert "combobox-popup: 0" in review.relabel_combo.styleSheet()


def test_relabel_onto_a_hidden_label_asks_and_swaps(review) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    review.resolve_conflict = lambda text: asked.append(text) or "swap"
    ids = _ids(review)
    assert ids["L2"] not in review._row_ids  # 0.40: below the threshold, hidden
    _select(review, "L3")
    review.relabel_combo.setCurrentText("L2")
    review.relabel_selected()
    assert len(asked) == 1 and "hidden below the score threshold" in asked[0]
    project = review.host.project
    assert project.instance(ids["L3"]).label == "L2"
    assert project.instance(ids["L2"]).label == "L3"
    labels = [i.label for i in project.images[1].instances]
    assert len(labels) == len(set(labels))  # no second L2
    review.host.stack.undo()  # one step
    assert project.instance(ids["L3"]).label == "L3"
    # "cancel" changes nothing
    review.resolve_conflict = lambda text: "cancel"
    _select(review, "L3")
    review.relabel_combo.setCurrentText("T12")
    review.relabel_selected()
    assert project.instance(ids["L3"]).label == "L3"


def test_raising_the_threshold_keeps_a_flagged_prediction(review, window) -> None:  # type: ignore[no-untyped-def]
    wf = window.model_workflow
    wf.predict_panel.set_threshold(0.5)
    ids = _ids(review)
    _select(review, "L4")  # 0.60
    review.flag_selected()
    wf.predict_panel.set_threshold(0.95)
    assert ids["L4"] in review._row_ids
    assert ids["L4"] in window.annot.layer.shapes


def test_after_reject_the_next_row_is_selected(review) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(review)
    _select(review, "L1")
    review.reject_selected()
    assert ids["L1"] not in review._row_ids
    assert review.selected_ids() == [ids["L3"]]
    _select(review, "L3")  # the last row: the one before it
    review.reject_selected()
    assert review.selected_ids() == [ids["T12"]]


def test_status_text_is_not_cut_off(review, window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.resize(1280, 800)
    window.model_workflow.show_review()
    qtbot.wait(50)
    label = review.image_label
    assert "below the score threshold hidden" in label.text()
    assert label.height() >= label.heightForWidth(label.width())
    review.table.clearSelection()
    review.accept_all_above()
    review.accept_all_above()  # nothing left: the panel says so in a sentence
    qtbot.wait(50)
    note = review.note
    assert note.text() == "No prediction at or above the threshold is waiting for review."
    assert note.isVisible() and note.height() >= note.heightForWidth(note.width())
    scroll = review.parentWidget()
    while scroll is not None and not hasattr(scroll, "horizontalScrollBar"):
        scroll = scroll.parentWidget()
    assert scroll is not None and scroll.horizontalScrollBar().maximum() == 0  # nothing clipped


def test_review_panel_and_axial_view_are_seen_together(review, window, qtbot) -> None:  # type: ignore[no-untyped-def]
    dock = window.model_workflow.review_dock
    window.dock_axial.show()
    window.model_workflow.show_review()
    qtbot.wait(50)
    assert dock not in window.tabifiedDockWidgets(window.dock_axial)
    for d in (dock, window.dock_axial):
        assert d.isVisible() and not d.visibleRegion().isEmpty(), d.windowTitle()


def test_predictions_hidden_by_the_threshold_are_no_3d_masks(review, window) -> None:  # type: ignore[no-untyped-def]
    keep = window.labels3d.keep
    assert keep is not None
    project, ids = review.host.project, _ids(review)
    assert not keep(project.instance(ids["L2"]))  # 0.40 < 0.9: hidden on the MIP, no 3D mask
    assert keep(project.instance(ids["L3"]))
    window.model_workflow.predict_panel.set_threshold(0.3)
    assert keep(project.instance(ids["L2"]))  # shown again, a mask again


def test_whole_spine_renumbered_one_level_from_the_keyboard(review, window) -> None:  # type: ignore[no-untyped-def]
    """A numbering one level off everywhere is fixed with one key (Model > Review >
    Renumber…, Ctrl+Shift+Down: T12 becomes L1, …), one undo step; a shift past L5 is
    refused in words and changes nothing."""
    acts = window.model_workflow.review_actions
    assert acts["levels_down"].shortcut().toString() == "Ctrl+Shift+Down"
    acts["levels_up"].trigger()  # T12 -> T11 ... L4 -> L3
    labels = [i.label for i in review.host.project.images[1].instances]
    assert labels == ["T11", "T12", "L1", "L2", "L3"]
    assert "one level up" in review.note.text()
    window.doc.stack.undo()
    assert [i.label for i in review.host.project.images[1].instances] == list(SCORES)
    acts["levels_down"].trigger()  # the hidden L4 (0.60) becomes L5, undecided
    acts["levels_down"].trigger()  # ... and would leave T1..L5: dropped, not a refusal
    labels = [i.label for i in review.host.project.images[1].instances]
    assert labels == ["L2", "L3", "L4", "L5"]
    acts["levels_down"].trigger()  # the shown L5 would leave T1..L5: refused in words
    assert "L5 would go below L5" in review.note.text()
    assert [i.label for i in review.host.project.images[1].instances] == labels
