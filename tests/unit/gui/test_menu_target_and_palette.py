"""What a right-click selects (the outline its menu acts on), and what the Labels palette
shows checked (UX audit round 14, fixF)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.gui.conftest import shown_view
from vertapp.gui.annotate.label_palette import LabelPalette
from vertapp.gui.views.polygon_layer import Shape
from vertapp.gui.views.polygon_tool import Mode
from vertapp.labels import VERTEBRAE


def _checked(palette) -> str | None:  # type: ignore[no-untyped-def]
    """The label whose palette button is checked."""
    button = palette.group.checkedButton()
    return None if button is None else button.text()


def _square(x0: float, x1: float) -> np.ndarray:
    return np.array([[x0, 20], [x1, 20], [x1, 60], [x0, 60]], dtype=float)


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    """T5 (10..40) and T6 two pixels to its right (42..80)."""
    return shown_view(qtbot, {5: Shape([_square(10, 40)], "T5"), 6: Shape([_square(42, 80)], "T6")})


def test_right_click_on_empty_space_selects_nothing(view) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.select(5, (0, 1))
    tool._right_click_select(95, 95)
    assert view.layer.selected is None and view.layer.selected_vertex is None


def test_right_click_on_another_outlines_line_or_inside_selects_it(view) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    assert 2 * tool._tolerance() > 2  # T5's line is within the reach of Insert vertex
    tool.select(5)
    tool._right_click_select(42, 40)  # exactly on T6's line, 2 px from T5's
    assert view.layer.selected == 6
    tool._right_click_select(25, 40)  # inside T5
    assert view.layer.selected == 5
    tool._right_click_select(40.5, 40)  # on T5's line (nearer than T6's): stays
    assert view.layer.selected == 5


def test_right_click_on_a_handle_selects_the_vertex_unless_a_line_is_nearer(view) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.select(5)
    tool._right_click_select(40, 20)  # T5's handle
    assert view.layer.selected == 5 and view.layer.selected_vertex == (0, 1)
    tool._right_click_select(42, 21)  # T6's corner, within reach of T5's handle too
    assert view.layer.selected == 6 and view.layer.selected_vertex is None


def test_right_click_while_drawing_keeps_the_selection(view) -> None:  # type: ignore[no-untyped-def]
    tool = view.tool
    tool.select(5)
    tool.set_mode(Mode.DRAW)
    tool._right_click_select(95, 95)
    assert view.layer.selected == 5


def test_palette_shows_the_selected_label_else_the_next_one(qtbot) -> None:  # type: ignore[no-untyped-def]
    palette = LabelPalette(VERTEBRAE)
    qtbot.addWidget(palette)
    palette.set_current("T8")  # chosen on the image before
    palette.suggest(list(VERTEBRAE), "L5")  # this image has every level: none to propose
    assert palette.none_left and _checked(palette) is None  # T8 stayed checked
    assert palette.current == "T8"  # still what an outline drawn anyway gets
    palette.show_selected("T5")
    assert _checked(palette) == "T5"
    palette.suggest(["T1"], "T1")  # an outline removed: T2 proposed, T5 still selected
    assert _checked(palette) == "T5" and palette.current == "T2"
    palette.show_selected(None)
    assert _checked(palette) == "T2"
