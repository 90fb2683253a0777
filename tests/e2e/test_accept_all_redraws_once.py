"""Shift+A on an image's 17 predictions is one undo step, and the window redraws its
outlines once for it: it redrew them once per accepted vertebra (17 redraws, 35-70 ms
an image), and as many again on its undo and redo."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.views.polygon_layer import is_dashed
from vertapp.labels import VERTEBRAE

H, W = 420, 64
LEVELS = list(VERTEBRAE)  # T1..L5


def _box(k: int) -> np.ndarray:
    y = 4 + 24 * k
    return np.array([[16, y], [48, y], [48, y + 18], [16, y + 18]], np.float64)


@pytest.fixture
def review(window):  # type: ignore[no-untyped-def]
    from vertapp.gui.model.workflow import install_model_workflow

    wf = install_model_workflow(window)
    project = Project(label_set="vertebrae")
    rec = ImageRecord(1, "images/spine.png", W, H, patient_key="p1")
    rec.instances = [
        Instance(k + 1, label, [_box(k)], source="predicted", score=0.95, model_id="m@e3")
        for k, label in enumerate(LEVELS)
    ]
    project.add_image(rec)
    window.doc.set_project(project, "review", pending={1: np.full((H, W), 30, np.uint8)})
    window.doc.set_current(1)
    wf.predict_panel.set_threshold(0.5)
    return wf.review_panel


def _count_redraws(window, monkeypatch) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    """(outline redraws, project-list row refreshes) from now on."""
    drawn: list[int] = []
    rows: list[int] = []
    draw, refresh = window.annot.set_shapes, window.panel.model.refresh_row

    def counting_draw(shapes):  # type: ignore[no-untyped-def]
        drawn.append(len(shapes))
        draw(shapes)

    def counting_row(row):  # type: ignore[no-untyped-def]
        rows.append(row)
        refresh(row)

    monkeypatch.setattr(window.annot, "set_shapes", counting_draw)
    monkeypatch.setattr(window.panel.model, "refresh_row", counting_row)
    return drawn, rows


def test_accept_all_its_undo_and_redo_redraw_the_outlines_once(review, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert len(LEVELS) == 17
    drawn, rows = _count_redraws(window, monkeypatch)
    review.accept_all_above()
    assert drawn == [17] and rows == [0]  # once for the undo step, with all 17
    shapes = window.annot.layer.shapes
    assert len(shapes) == 17 and not any(is_dashed(s) for s in shapes.values())  # at once
    for step in (window.doc.stack.undo, window.doc.stack.redo):
        drawn.clear()
        rows.clear()
        step()
        assert drawn == [17] and rows == [0]
    assert not any(is_dashed(s) for s in window.annot.layer.shapes.values())


def test_a_change_outside_the_undo_stack_is_still_drawn(review, window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """No undo step ends it: the outline follows on the next turn of the event loop."""
    from vertapp.annotations.ops import AcceptPrediction

    window.doc.project.apply(AcceptPrediction(1))
    qtbot.waitUntil(lambda: not is_dashed(window.annot.layer.shapes[1]), timeout=2000)
