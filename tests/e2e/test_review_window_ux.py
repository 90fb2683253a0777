"""The review in the window (UX audit round 10): Predict shows its panel and says why it
cannot run, a review row moves the axial view to its vertebra, a project opens on what
waits for review, Compare comes forward when a run went there, the toolbar's Undo keeps
its size, Ctrl+Q quits through the close questions."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QTabBar, QToolBar

from tests.e2e.window_driver import open_and_wait
from tests.unit.review.sample import review_project
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.annotate import editing
from vertapp.review import status as rv

pytestmark = [pytest.mark.gui]


@pytest.fixture
def workflow(window):  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    return install_model_workflow(window)


def _open(window, project: Project) -> None:  # type: ignore[no-untyped-def]
    pending = {i: np.full((64, 64), 40, np.uint8) for i in project.images}
    window.doc.set_project(project, "review", pending=pending)


def test_ctrl_p_without_a_usable_model_shows_the_panel_and_says_why(
    qtbot, window, workflow, tmp_path, monkeypatch
) -> None:
    """On a radiograph project with no model Ctrl+P did nothing visible: the reason was
    written into the hidden Predict and review panel."""
    from tests.e2e.test_starter_model import unlabelled_project

    project, pending = unlabelled_project("radiograph", tmp_path / "xray")
    window.doc.set_project(project, "xray", pending=pending)
    window.doc.set_current(1)
    assert workflow.review_dock.isHidden()
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not workflow.review_dock.isHidden()
    said = window.statusBar().currentMessage()
    assert said.startswith("Choose a model file first") and "CT MIPs" in said
    assert workflow.predict_panel.status.text() == said


def test_a_project_opens_on_the_first_image_with_predictions_to_review(window, workflow) -> None:
    """The demo opened on spine01 (completed) while its predictions waited on spine04."""
    project = review_project()
    img1 = project.images[1]
    for inst in img1.instances:
        inst.reviewed = True
    img1.status = rv.COMPLETED
    _open(window, project)
    assert window.doc.current_id == 2  # the first with predictions waiting
    assert not workflow.review_dock.isHidden()


def test_a_project_with_nothing_to_review_opens_on_its_first_image(window, workflow) -> None:
    project = Project(label_set="vertebrae")
    for image_id in (1, 2):
        project.add_image(ImageRecord(image_id, f"images/{image_id}.png", 64, 64))
    _open(window, project)
    assert window.doc.current_id == 1 and workflow.review_dock.isHidden()


def test_compare_comes_forward_when_every_prediction_went_there(
    qtbot, window, workflow, tmp_path
) -> None:
    """Predict all on a labelled project: its predictions are in Compare, not the review."""
    from tests.unit.gui_ml.test_predict_compare import fake_factory, run_for

    project = review_project()
    _open(window, project)
    window.doc.set_current(3)  # hand-drawn ground truth only
    panel = workflow.predict_panel
    panel._factory = fake_factory(run_for([3]))
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    with qtbot.waitSignal(panel.run_finished, timeout=5000):
        workflow.act_predict_current.trigger()
    assert _front_tab(window) == "Compare with truth"


def _front_tab(window) -> str:  # type: ignore[no-untyped-def]
    """The dock tab in front where review and compare share their place."""
    (bar,) = [
        b
        for b in window.findChildren(QTabBar)
        if "Compare with truth" in [b.tabText(i) for i in range(b.count())]
    ]
    return bar.tabText(bar.currentIndex())


def test_mark_completed_in_an_unattended_window_decides_nothing(window, workflow) -> None:
    """Headless, the question gets Cancel: no prediction is accepted or rejected."""
    _open(window, review_project())
    window.doc.set_current(1)
    workflow.review_actions["complete"].trigger()
    img = window.doc.project.images[1]
    assert img.status != rv.COMPLETED and len(img.instances) == 3
    assert not any(i.reviewed for i in img.instances)
    assert window.statusBar().currentMessage().startswith("Not completed: 3 predictions")


def test_the_toolbar_undo_keeps_its_text(window, workflow) -> None:
    """ "Undo Predict 1 image(s)" grew the button and pushed the tools into the overflow."""
    _open(window, review_project())
    window.doc.set_current(1)
    bar = window.findChild(QToolBar, "toolbar_file")
    undo = next(a for a in bar.actions() if a.text() == "Undo")
    redo = next(a for a in bar.actions() if a.text() == "Redo")
    assert not undo.isEnabled()
    panel = workflow.review_panel
    panel.table.clearSelection()  # the image opens with its first undecided one selected
    panel.table.selectRow(0)
    panel.accept_selected()
    assert undo.text() == "Undo" and undo.isEnabled()
    assert undo.toolTip() == "Undo Accept 1 prediction (Ctrl+Z)"
    assert window.act_undo.text() == "&Undo Accept 1 prediction"  # the Edit menu's, long
    undo.trigger()
    assert not window.doc.project.instance(1).reviewed
    assert redo.isEnabled() and redo.toolTip().startswith("Redo Accept 1 prediction")
    assert not undo.shortcuts()  # Ctrl+Z stays bound once, to the Edit menu's action


@pytest.mark.slow
def test_a_review_row_moves_the_axial_view_to_its_vertebra(
    qtbot, window, workflow, phantom_nifti
) -> None:
    """Selecting a row (or Edit) left the axial view where it was: the panel sits beside
    it to check each vertebra on its slices."""
    open_and_wait(qtbot, window, phantom_nifti)
    rec = window.doc.current
    opened = window.doc.ct[rec.id]
    w, h = rec.width, rec.height

    def box(top: float) -> np.ndarray:
        y0, y1 = top * h, (top + 0.1) * h
        return np.array([[0.3 * w, y0], [0.7 * w, y0], [0.7 * w, y1], [0.3 * w, y1]], float)

    for k, (label, top) in enumerate((("T12", 0.2), ("L1", 0.6))):
        inst = Instance(100 + k, label, [box(top)], source="predicted", score=0.9, model_id="m@e1")
        window.doc.project._insert_instance(rec.id, inst, None)
    window.doc.instances_changed.emit(rec.id)
    panel = workflow.review_panel
    # a change outside an undo step reaches the list on the next event-loop turn
    qtbot.waitUntil(lambda: len(panel._row_ids) == 2, timeout=2000)
    slices = []
    for row, top in enumerate((0.2, 0.6)):
        panel.table.clearSelection()
        panel.table.selectRow(row)
        x, y = 0.5 * w, (top + 0.05) * h
        expected = editing.slice_of_mip_point(opened.mip, opened.volume, x, y)
        assert window.axial.index == expected
        slices.append(window.axial.index)
    assert slices[0] != slices[1]
    window.axial.set_slice(0)
    panel.edit_selected()  # Edit shows its vertebra too
    assert window.axial.index == slices[1]


def test_ctrl_q_quits_through_the_close_questions(qtbot, window, monkeypatch) -> None:
    assert QKeySequence("Ctrl+Q") in window.act_quit.shortcuts()
    asked: list[bool] = []

    def refuse() -> bool:
        asked.append(True)
        return False  # the user answers Cancel to "discard your edits?"

    monkeypatch.setattr(window.files, "confirm_discard", refuse)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert asked == [True] and window.isVisible()
    monkeypatch.setattr(window.files, "confirm_discard", lambda: True)
    window.act_quit.trigger()  # (no key here: its release would reach a closed window)
    assert not window.isVisible()
