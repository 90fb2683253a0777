"""The review's keys in the window (audit round 15): Shift+A is one redraw, Ctrl+Right
leaves a row selected for A and R, and the MIP draws an accepted prediction solid."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.unit.review.sample import review_project
from vertapp.gui.views.polygon_layer import is_dashed

pytestmark = [pytest.mark.gui]


@pytest.fixture
def workflow(window):  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    workflow = install_model_workflow(window)
    project = review_project()
    pending = {i: np.full((64, 64), 40, np.uint8) for i in project.images}
    window.doc.set_project(project, "review", pending=pending)
    window.doc.set_current(1)
    workflow.predict_panel.set_threshold(0.5)
    return workflow


def _dashed(window) -> dict[int, bool]:  # type: ignore[no-untyped-def]
    return {k: is_dashed(s) for k, s in window.annot.layer.shapes.items()}


def test_accept_all_draws_the_outlines_solid_and_undo_dashes_them_again(
    window, workflow, monkeypatch
) -> None:
    """Every outline stayed dashed (and scored) after Accept all: the image did not show
    what was left to check."""
    marks: list[object] = []
    show = workflow.marks.show

    def counting(*args):  # type: ignore[no-untyped-def]
        marks.append(args)
        show(*args)

    monkeypatch.setattr(workflow.marks, "show", counting)
    assert _dashed(window) == {1: True, 2: True, 3: True}
    workflow.review_actions["accept_all"].trigger()
    assert _dashed(window) == {1: False, 2: False, 3: False}
    assert len(marks) == 1  # the order tags: once for the step, not once a vertebra
    assert window.annot.layer.shapes[1].score == 0.95  # the name keeps its score
    window.doc.stack.undo()
    assert _dashed(window) == {1: True, 2: True, 3: True}


def test_a_and_r_work_right_after_ctrl_right(qtbot, window, workflow) -> None:
    """After Ctrl+Right no row was selected: A and R did nothing, and said nothing."""
    panel = workflow.review_panel
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.current_id == 2
    assert panel.selected_ids() == [4]
    assert window.annot.layer.selected == 4  # shown selected on the MIP too
    qtbot.keyClick(window, Qt.Key.Key_A)
    assert window.doc.project.instance(4).reviewed
    assert _dashed(window) == {4: False}
    panel.table.clearSelection()
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert window.statusBar().currentMessage() == (
        "Nothing to reject: select a vertebra in the list first."
    )
