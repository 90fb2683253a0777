"""Alt+Down / Alt+Up step through an image's outlines head to feet, whatever order they
were drawn in, and stop at the ends (vertapp.review.outline_steps; no Qt)."""

from __future__ import annotations

import numpy as np

from vertapp.annotations.model import Instance
from vertapp.review.outline_steps import head_to_feet, outline_step


def _box(key: int, label: str, top: float, left: float = 10.0) -> Instance:
    square = np.array([[left, top], [left + 20, top], [left + 20, top + 10], [left, top + 10]])
    return Instance(key, label, [square.astype(float)])


# drawn out of order: L2 first, then T12, then L1
DRAWN = [_box(7, "L2", 60), _box(3, "T12", 0), _box(5, "L1", 30)]


def test_the_order_is_the_spine_s_from_the_top_of_the_image() -> None:
    assert head_to_feet(DRAWN) == [3, 5, 7]
    side_by_side = [_box(2, "a", 0, left=50), _box(1, "b", 0, left=0)]
    assert head_to_feet(side_by_side) == [1, 2]  # a tie: the left one first


def test_down_and_up_from_the_selected_outline() -> None:
    assert outline_step(DRAWN, 3, 1) == 5
    assert outline_step(DRAWN, 5, 1) == 7
    assert outline_step(DRAWN, 7, -1) == 5
    assert outline_step(DRAWN, 5, -1) == 3


def test_with_none_selected_down_starts_at_the_top_and_up_at_the_bottom() -> None:
    assert outline_step(DRAWN, None, 1) == 3
    assert outline_step(DRAWN, None, -1) == 7
    assert outline_step(DRAWN, 99, 1) == 3  # selected, but not among these (hidden)


def test_the_keys_stop_at_the_ends_and_on_an_empty_image() -> None:
    assert outline_step(DRAWN, 7, 1) is None
    assert outline_step(DRAWN, 3, -1) is None
    assert outline_step([], None, 1) is None
    empty = Instance(9, "L3", [])
    assert head_to_feet([*DRAWN, empty]) == [3, 5, 7]  # an empty outline has no place
