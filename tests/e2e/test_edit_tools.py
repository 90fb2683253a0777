"""Every polygon edit by mouse, toolbar action, context menu and key; brush and eraser."""

from __future__ import annotations

import numpy as np
import pytest
from mouse_driver import click, double_click, drag
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def _inst(window):  # type: ignore[no-untyped-def]
    return window.doc.current.instances[0]


def test_select_then_insert_and_delete_vertex_by_keys(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    click(qtbot, canvas, 50, 45)  # inside: selects the polygon
    assert w.annot.layer.selected == _inst(w).id
    assert w.act_insert_vertex.isEnabled()
    # hover over the top edge and press I
    w.annot.tool.cursor = (50.0, 30.2)
    w.activateWindow()
    qtbot.keyClick(w, Qt.Key.Key_I)
    poly = _inst(w).polygons[0]
    assert len(poly) == 5
    np.testing.assert_allclose(poly[1], (50.0, 30.0), atol=0.3)
    # the new vertex is selected; Delete removes it
    assert w.annot.layer.selected_vertex == (0, 1)
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert len(_inst(w).polygons[0]) == 4


def test_double_click_on_edge_inserts_vertex(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    click(qtbot, canvas, 50, 45)
    double_click(qtbot, canvas, 70, 45)
    poly = _inst(w).polygons[0]
    assert len(poly) == 5
    np.testing.assert_allclose(poly[2], (70.0, 45.0), atol=0.6)


def test_double_click_finishes_a_drawn_polygon(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    w.act_draw.trigger()
    click(qtbot, canvas, 5, 5)
    click(qtbot, canvas, 20, 5)
    double_click(qtbot, canvas, 20, 20)
    assert len(w.doc.current.instances) == 2
    np.testing.assert_allclose(
        w.doc.current.instances[1].polygons[0], [[5, 5], [20, 5], [20, 20]], atol=0.6
    )


def test_toolbar_delete_vertex_refuses_below_three(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    click(qtbot, canvas, 50, 45)
    click(qtbot, canvas, 70, 30)  # the vertex handle
    assert w.annot.layer.selected_vertex == (0, 1)
    w.act_delete_vertex.trigger()
    assert len(_inst(w).polygons[0]) == 3
    click(qtbot, canvas, 70, 60)
    w.act_delete_vertex.trigger()  # would leave 2 vertices: refused with a message
    assert len(_inst(w).polygons[0]) == 3
    assert "3 vertices" in w._last_error


def test_move_polygon_by_drag_is_one_step(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    before = _inst(w).polygons[0].copy()
    drag(qtbot, canvas, (50, 45), (60, 50), steps=8)
    assert w.doc.stack.count() == 1
    np.testing.assert_allclose(_inst(w).polygons[0], before + (10, 5), atol=0.6)
    w.act_undo.trigger()
    np.testing.assert_allclose(_inst(w).polygons[0], before)


def test_delete_polygon_and_relabel_from_context_menu_actions(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    click(qtbot, canvas, 50, 45)
    w.choose_label("T3")  # what the context menu's Label entries call
    assert _inst(w).label == "T3"
    w.activateWindow()
    qtbot.keyClick(w, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert w.doc.current.instances == []
    w.act_undo.trigger()
    assert _inst(w).label == "T3"


def test_right_click_opens_context_menu_with_edit_actions(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    menus = []
    w.annot.tool.context_menu.connect(menus.append)
    click(qtbot, canvas, 50, 45, button=Qt.MouseButton.RightButton)
    assert len(menus) == 1
    assert w.annot.layer.selected == _inst(w).id  # right-click selects what it is on


def test_brush_adds_and_eraser_removes_area(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from vertapp.annotations.geometry import polygons_to_mask

    w, canvas = opened, opened.annot.canvas

    def area() -> int:
        inst = _inst(w)
        return int(polygons_to_mask(inst.polygons, 100, 120, inst.holes).sum())

    click(qtbot, canvas, 50, 45)
    start = area()
    w.act_brush.trigger()
    w.brush_radius.setValue(4)  # the spin box in the Labels dock
    assert w.annot.tool.brush_radius == 4.0
    drag(qtbot, canvas, (70, 45), (90, 45), steps=8)  # paints outwards from the right edge
    grown = area()
    assert grown > start + 60
    w.act_eraser.trigger()
    drag(qtbot, canvas, (30, 35), (50, 35), steps=8)
    assert area() < grown - 60
    assert w.doc.stack.count() == 2
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert area() == start


def test_draw_cancel_with_escape_and_finish_with_enter(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w, canvas = opened, opened.annot.canvas
    w.act_draw.trigger()
    for x, y in ((5, 5), (20, 5), (20, 20)):
        click(qtbot, canvas, x, y)
    w.activateWindow()
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert len(w.doc.current.instances) == 1
    for x, y in ((5, 5), (20, 5), (20, 20)):
        click(qtbot, canvas, x, y)
    qtbot.keyClick(w, Qt.Key.Key_Return)
    assert len(w.doc.current.instances) == 2
    assert w.doc.current.instances[1].label == "L2"  # the next label after L1 was suggested


def test_polygon_outside_the_image_is_refused_with_a_message(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    w.annot.tool.polygon_drawn.emit(np.array([[200.0, 200], [260, 200], [260, 260]]))
    assert len(w.doc.current.instances) == 1
    assert "polygon" in w._last_error
    assert w.doc.stack.count() == 0


def test_polygon_crossing_the_border_is_clipped(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    w = opened
    w.annot.tool.polygon_drawn.emit(np.array([[100.0, 10], [150, 10], [150, 40], [100, 40]]))
    new = w.doc.current.instances[1]
    assert new.polygons[0][:, 0].max() == pytest.approx(120.0)  # clipped at the image width


def test_relabel_onto_a_level_another_outline_holds_says_so(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from vertapp.annotations import ops
    from vertapp.annotations.model import Instance

    w = opened
    other = np.array([[5.0, 5.0], [20.0, 5.0], [20.0, 15.0], [5.0, 15.0]])
    w.doc.edit(
        ops.AddInstance(w.doc.current_id, Instance(w.doc.project.new_instance_id(), "T3", [other])),
        "Add T3",
    )
    click(qtbot, w.annot.canvas, 50, 45)  # the first outline
    w.choose_label("T3")
    assert [i.label for i in w.doc.current.instances] == ["T3", "T3"]  # allowed, but ...
    assert "T3 is now on two outlines" in w.statusBar().currentMessage()
