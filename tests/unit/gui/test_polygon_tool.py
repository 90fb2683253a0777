"""Hit testing and gesture intents of the polygon tool (no mouse needed)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.gui.conftest import shown_view
from vertapp.gui.views.polygon_layer import Shape
from vertapp.gui.views.polygon_tool import Mode


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    square = np.array([[20, 20], [60, 20], [60, 60], [20, 60]], dtype=float)
    return shown_view(qtbot, {7: Shape([square], "L1"), 8: Shape([square + 5], "L2")})


def _square(lo: float, hi: float) -> np.ndarray:
    return np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], dtype=float)


@pytest.mark.parametrize("small_first", [True, False])
def test_hit_shape_prefers_selected_then_smallest(view, small_first) -> None:  # type: ignore[no-untyped-def]
    # Nested shapes of different sizes, listed in both orders: neither the first nor the
    # last one listed, nor the largest, may win a click inside both.
    big, small = Shape([_square(10, 90)], "L1"), Shape([_square(40, 60)], "L2")
    view.set_shapes({1: small, 2: big} if small_first else {1: big, 2: small})
    small_key, big_key = (1, 2) if small_first else (2, 1)
    tool = view.tool
    assert tool.hit_shape(50, 50) == small_key
    assert tool.hit_shape(20, 20) == big_key  # only inside the big one
    tool.select(big_key)
    assert tool.hit_shape(50, 50) == big_key  # the selected one wins over the smaller
    tool.select(None)
    assert tool.hit_shape(95, 95) is None


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


def test_a_double_click_that_cannot_close_the_draft_says_why(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Two points and a double-click: nothing happened and nothing was said."""
    from vertapp.gui.views.polygon_tool import TOO_FEW_POINTS

    tool = view.tool
    tool.set_mode(Mode.DRAW)
    tool.draft = [(1.0, 1.0), (5.0, 1.0)]
    with qtbot.waitSignal(tool.refused) as refused:
        tool._draw_click(5.0, 1.0, double=True)
    assert refused.args == [TOO_FEW_POINTS] and len(tool.draft) == 2  # kept: one more click
    tool.draft = []
    with qtbot.assertNotEmitted(tool.refused):
        tool._draw_click(5.0, 1.0, double=True)  # nothing drawn yet: nothing to say
