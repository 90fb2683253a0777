"""The palette's next label counts every outline of the image, predicted ones too, and
never proposes a twin (no Qt)."""

from __future__ import annotations

from vertapp.labels import VERTEBRAE
from vertapp.review.next_label import suggest_next


def test_follows_spine_order_and_skips_used() -> None:
    assert suggest_next([], None, VERTEBRAE) == "T1"
    assert suggest_next(["T1"], "T1", VERTEBRAE) == "T2"
    assert suggest_next(["T6", "T7"], "T5", VERTEBRAE) == "T8"
    assert suggest_next(["T1", "T2", "T4"], "T2", VERTEBRAE) == "T3"


def test_at_the_bottom_it_turns_to_the_chains_missing_neighbour() -> None:
    """T9-L5 predicted: T8 (the level above the chain), not T1 by wrapping round; L4, L5
    drawn: L3."""
    assert suggest_next(VERTEBRAE[8:], "L5", VERTEBRAE) == "T8"
    assert suggest_next(["L4", "L5"], "L5", VERTEBRAE) == "L3"
    assert suggest_next(["L5", "L4", "L3"], "L3", VERTEBRAE) == "L2"  # drawn upwards


def test_every_level_used_proposes_none_rather_than_a_twin() -> None:
    """An image with T1..L5 said "Next label: L5 (N)": N added a second L5."""
    assert suggest_next(VERTEBRAE, "L5", VERTEBRAE) is None
    assert suggest_next([*VERTEBRAE, "L5"], None, VERTEBRAE) is None


def test_an_unknown_last_label_starts_at_the_top() -> None:
    assert suggest_next(["T1"], "sacrum", VERTEBRAE) == "T2"
