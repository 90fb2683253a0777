"""Display and typing rules of radiograph parts (vertapp.xray.part_display), without Qt."""

from __future__ import annotations

import pytest

from vertapp.labels import PARTS, VERTEBRAE
from vertapp.xray.part_display import (
    caption_keys,
    describe,
    instance_level,
    level_hue,
    part_pattern,
    read_level,
    takes_parts,
)


@pytest.mark.parametrize(
    ("typed", "level"),
    [("L3", "L3"), ("l5", "L5"), ("T5", "T5"), ("t12", "T12"), ("Th 9", "T9"), ("?", "unknown")],
)
def test_an_unambiguous_level_ends_the_entry_by_itself(typed: str, level: str) -> None:
    reading = read_level(typed)
    assert reading.done and reading.level == level


def test_t1_waits_for_enter_and_says_what_else_it_may_become() -> None:
    reading = read_level("T1")
    assert not reading.done and reading.level is None
    assert "T10" in reading.hint and "T12" in reading.hint and "Enter" in reading.hint
    assert read_level("T1", enter=True).level == "T1"


def test_empty_entry_with_enter_is_the_same_vertebra_as_the_last() -> None:
    assert not read_level("").done
    reading = read_level("", enter=True, last="L2")
    assert reading.done and reading.level == "L2" and "L2" in reading.hint


@pytest.mark.parametrize("typed", ["X", "L6", "T13", "S1"])
def test_a_text_no_level_starts_with_is_flagged(typed: str) -> None:
    reading = read_level(typed, enter=True)
    assert not reading.done and not reading.valid and "T1..T12" in reading.hint


def test_a_prefix_lists_the_levels_it_may_become() -> None:
    reading = read_level("L")
    assert not reading.done and reading.valid
    assert all(f"L{i}" in reading.hint for i in range(1, 6))
    assert not read_level("L", enter=True).done  # Enter on "L" alone chooses nothing


def test_each_level_has_its_own_hue_and_neighbours_are_far_apart() -> None:
    hues = [level_hue(lv) for lv in VERTEBRAE]
    assert len(set(hues)) == len(VERTEBRAE) and level_hue("unknown") is None
    for a, b in zip(hues[:-1], hues[1:], strict=True):
        assert a is not None and b is not None
        assert min(abs(a - b), 1 - abs(a - b)) > 0.2


def test_every_part_has_its_own_pattern_and_only_the_body_is_filled() -> None:
    patterns = [part_pattern(p) for p in PARTS]
    assert len(set(patterns)) == len(PARTS)
    assert part_pattern("body") == "solid" and part_pattern("L3") == "solid"


def test_level_of_an_instance_comes_from_its_vertapp_field() -> None:
    assert instance_level("pedicle", {"vertapp": {"vertebra": "L3"}}) == "L3"
    assert instance_level("pedicle", {}) == "unknown"
    assert instance_level("L3", {"vertapp": {"vertebra": "L3"}}) is None  # a CT polygon


def test_one_caption_per_vertebra_on_its_body_and_unknown_parts_each_their_own() -> None:
    items = [
        (1, "pedicle", "L3"),
        (2, "body", "L3"),
        (3, "spinous_process", "L3"),
        (4, "pedicle", "L4"),
        (5, "pedicle", "unknown"),
        (6, "L1", None),
    ]
    assert caption_keys(items) == {2: "L3", 4: "L4", 5: "? pedicle"}


def test_the_part_palette_is_for_radiographs_of_a_parts_project_only() -> None:
    parts, levels = list(PARTS), list(VERTEBRAE)
    assert takes_parts(parts, "radiograph", "parts")
    assert not takes_parts(parts, "mip", "parts")
    assert not takes_parts(levels, "radiograph", "vertebrae")  # whole-vertebra vocabulary
    assert takes_parts(parts, None, "parts") and not takes_parts(levels, None, "vertebrae")
    assert describe("pedicle", "L3") == "pedicle of L3"
    assert describe("body", "unknown") == "body, vertebra not set"
