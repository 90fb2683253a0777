"""Hit testing and gesture intents of the polygon tool (no mouse needed)."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.polygon_layer import Shape
from vertapp.gui.views.polygon_tool import Mode


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    v = AnnotationView()
    qtbot.addWidget(v)
    v.resize(400, 400)
    v.show()
    v.set_image(np.zeros((100, 100), np.uint8), "test")
    square = np.array([[20, 20], [60, 20], [60, 60], [20, 60]], dtype=float)
    v.set_shapes({7: Shape([square], "L1"), 8: Shape([square + 5], "L2")})
    return v


def test_hit_shape_prefers_selected_then_smallest(view) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    assert tool.hit_shape(30, 30) in (7, 8)
    tool.select(8)
    assert tool.hit_shape(30, 30) == 8
    assert tool.hit_shape(90, 90) is None


def test_hit_vertex_and_edge_of_selected(view) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.select(7)
    assert tool.hit_vertex(60.2, 19.8) == (0, 1)
    assert tool.hit_vertex(40, 40) is None
    part, index, point = tool.hit_edge(40, 20.3)
    assert (part, index) == (0, 1)
    assert point == pytest.approx((40.0, 20.0))


def test_insert_and_delete_emit_intents(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.select(7, (0, 2))
    with qtbot.waitSignal(tool.vertex_inserted) as ins:
        assert tool.insert_vertex_at(60.3, 40)  # on the right edge
    assert ins.args[:3] == [7, 0, 2]
    assert ins.args[3] == pytest.approx((60.0, 40.0))
    with qtbot.waitSignal(tool.vertex_deleted) as dele:
        assert tool.delete_selected_vertex()
    assert dele.args == [7, 0, 2]


def test_insert_without_cursor_splits_edge_after_selected_vertex(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.select(7, (0, 3))
    tool.cursor = None
    with qtbot.waitSignal(tool.vertex_inserted) as ins:
        assert tool.insert_vertex_at()
    assert ins.args[:3] == [7, 0, 4]
    assert ins.args[3] == pytest.approx((20.0, 40.0))  # middle of the closing edge


def test_finish_draft_needs_three_points(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.set_mode(Mode.DRAW)
    tool.draft = [(1.0, 1.0), (5.0, 1.0)]
    assert not tool.finish_draft()
    tool.draft.append((5.0, 5.0))
    with qtbot.waitSignal(tool.polygon_drawn) as drawn:
        assert tool.finish_draft()
    np.testing.assert_allclose(drawn.args[0], [[1, 1], [5, 1], [5, 5]])
    assert tool.draft == []
