"""Drawing from the keyboard, and the words of edits (user audit, round 13).

N and the label keys used to relabel the outline just drawn (it stays selected): draw,
N, draw, N, draw gave T2, T3, T3. A level drawn twice, an eraser stroke with nothing
selected and Enter on a two-point draft said nothing; a refused vertex delete dropped
the vertex, and the undo entries spoke of "instances".
"""

from __future__ import annotations

import numpy as np
import pytest
from mouse_driver import click, drag

pytestmark = pytest.mark.gui


def labels(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.label for i in window.doc.current.instances]


def draw_box(qtbot, window, top: float) -> None:  # type: ignore[no-untyped-def]
    """Draw mode, four clicks left of the square, Enter (the toolbar's Finish polygon)."""
    window.act_draw.trigger()
    for x, y in ((5, top), (20, top), (20, top + 8), (5, top + 8)):
        click(qtbot, window.annot.canvas, x, y)
    window.act_finish.trigger()


def status(window) -> str:  # type: ignore[no-untyped-def]
    return window.statusBar().currentMessage()


def test_draw_n_draw_n_draw_gives_the_next_levels(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    draw_box(qtbot, w, 5)
    assert labels(w) == ["L1", "L2"]
    assert w.labels.current == "L3"  # proposed for the next outline
    assert status(w) == "L2 outline added; next: L3"
    w.act_next_label.trigger()
    assert labels(w) == ["L1", "L2"]  # the outline just drawn keeps its level
    assert "Next outline: L3" in status(w)
    draw_box(qtbot, w, 20)
    w.act_next_label.trigger()
    draw_box(qtbot, w, 35)
    assert labels(w) == ["L1", "L2", "L3", "L4"]


def test_on_an_empty_image_draw_n_draw_n_draw_gives_t1_t2_t3(window) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations.model import ImageRecord, Project

    project = Project(label_set="vertebrae")
    project.add_image(ImageRecord(1, "images/a.png", 64, 128, patient_key="p"))
    window.doc.set_project(project, "test", pending={1: np.zeros((128, 64), np.uint8)})
    window.doc.set_current(1)
    window.act_draw.trigger()
    for i in range(3):
        y = 4.0 + 10 * i
        window.annot.tool.polygon_drawn.emit(np.array([[10, y], [30, y], [30, y + 6]], float))
        window.act_next_label.trigger()
    assert labels(window) == ["T1", "T2", "T3"]
    assert window.labels.current == "T4"


def test_a_label_key_while_drawing_names_the_next_outline(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    draw_box(qtbot, w, 5)
    drawn = w.doc.current.instances[-1].id
    assert w.annot.layer.selected == drawn  # still selected after drawing
    w.label_actions["T5"].trigger()
    assert labels(w) == ["L1", "L2"]
    assert w.labels.current == "T5"
    assert "Next outline: T5" in status(w)
    click(qtbot, w.annot.canvas, 5, 40)  # a draft is open: the key must not touch it either
    w.label_actions["T6"].trigger()
    assert labels(w) == ["L1", "L2"] and len(w.annot.tool.draft) == 1
    w.act_cancel.trigger()
    w.act_select.trigger()  # in Select mode the key relabels the selection, as before
    w.annot.tool.select(drawn)
    w.label_actions["T7"].trigger()
    assert labels(w) == ["L1", "T7"]


def test_drawing_a_level_the_image_has_already_warns(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    w.act_draw.trigger()
    w.label_actions["L1"].trigger()  # the next outline: L1, which the square has
    draw_box(qtbot, w, 5)
    assert labels(w) == ["L1", "L1"]
    assert "L1 is now on two outlines" in status(w)


def test_the_eraser_with_nothing_selected_says_what_to_do(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    w.annot.tool.select(None)
    w.act_eraser.trigger()
    drag(qtbot, w.annot.canvas, (35, 45), (65, 45), steps=6)
    assert w.doc.stack.count() == 0
    assert "Select an outline to erase from" in status(w)


def test_finishing_a_two_point_draft_says_three_are_needed(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    w.act_draw.trigger()
    click(qtbot, w.annot.canvas, 5, 5)
    click(qtbot, w.annot.canvas, 20, 5)
    w.act_finish.trigger()
    assert w.doc.stack.count() == 0
    assert len(w.annot.tool.draft) == 2  # the draft stays: one more click finishes it
    assert "at least 3 points" in status(w)


def test_a_refused_vertex_delete_keeps_the_vertex_selected(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    click(qtbot, w.annot.canvas, 50, 45)
    click(qtbot, w.annot.canvas, 70, 30)  # a vertex handle
    w.act_delete_vertex.trigger()  # 4 -> 3
    click(qtbot, w.annot.canvas, 70, 60)
    assert w.annot.layer.selected_vertex is not None
    w.act_delete_vertex.trigger()  # refused
    assert "delete the outline instead" in w._last_error
    assert w.annot.layer.selected_vertex is not None
    w._last_error = ""
    w.statusBar().clearMessage()
    w.act_delete_vertex.trigger()  # says why again, not "Select a vertex first"
    assert "delete the outline instead" in w._last_error
    assert "Select a vertex first" not in status(w)


def test_undo_entries_name_the_outline(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    stack = w.doc.stack
    draw_box(qtbot, w, 5)
    assert stack.undoText() == "Add L2 outline"
    w.act_select.trigger()
    click(qtbot, w.annot.canvas, 50, 45)  # the L1 square
    w.act_brush.trigger()
    drag(qtbot, w.annot.canvas, (70, 45), (85, 45), steps=6)
    assert stack.undoText() == "Brush stroke on L1"
    w.act_eraser.trigger()
    drag(qtbot, w.annot.canvas, (30, 35), (50, 35), steps=6)
    assert stack.undoText() == "Erase from L1"
    w.act_delete_polygon.trigger()
    assert stack.undoText() == "Delete L1 outline"
    w.annot.tool.select(None)
    w.act_brush.trigger()
    drag(qtbot, w.annot.canvas, (100, 80), (110, 85), steps=6)
    assert stack.undoText() == f"Add {w.doc.current.instances[-1].label} outline"
    texts = [stack.text(i) for i in range(stack.count())]
    assert not any("instance" in t or "shape" in t for t in texts), texts


def test_a_click_on_the_linked_cursor_reaches_the_vertex_under_it(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """On a CT MIP a click leaves the linked cursor (+) where it was; the + took the next
    click on that spot, so clicking the same vertex again after a refused delete selected
    nothing and Del said "Select a vertex first"."""
    w = opened
    click(qtbot, w.annot.canvas, 50, 45)
    w.annot.set_marker((70.0, 60.0))  # what a click there does with a CT behind the MIP
    click(qtbot, w.annot.canvas, 70, 60)
    assert w.annot.layer.selected_vertex == (0, 2)
