"""The palette's "Next label" counts every outline of the image, predicted ones too, follows
the image as its outlines change, and says when no level is left (offscreen Qt)."""

from __future__ import annotations

from vertapp.gui.annotate.label_palette import NONE_LEFT, LabelPalette
from vertapp.gui.annotate.part_palette import PartPalette
from vertapp.labels import VERTEBRAE


def palette(qtbot) -> LabelPalette:  # type: ignore[no-untyped-def]
    widget = LabelPalette(VERTEBRAE)
    qtbot.addWidget(widget)
    return widget


def test_an_image_with_every_level_says_none_left(qtbot) -> None:  # type: ignore[no-untyped-def]
    """It said "Next label: L5 (N)" on an image holding T1..L5."""
    p = palette(qtbot)
    p.suggest(list(VERTEBRAE), "L5")
    assert p.none_left and p.next_label.text() == NONE_LEFT
    assert "L5" not in p.next_label.text()
    p.set_current("T3")  # a label chosen by hand is said as before
    assert not p.none_left and p.next_label.text() == "Next label: T3  (N)"


def test_a_prediction_run_moves_the_proposal_on(qtbot) -> None:  # type: ignore[no-untyped-def]
    """After T9-L5 were predicted on an empty image it still said T1."""
    p = palette(qtbot)
    p.suggest([], None)
    assert p.current == "T1"
    p.follow(list(VERTEBRAE[8:]))  # the image's outlines changed: T9..L5 predicted
    assert p.current == "T8" and p.next_label.text() == "Next label: T8  (N)"
    p.follow(list(VERTEBRAE))  # then every level
    assert p.none_left
    p.follow(["T1"])  # undone: a proposal again
    assert not p.none_left and p.current == "T2"


def test_a_label_chosen_by_hand_is_not_moved(qtbot) -> None:  # type: ignore[no-untyped-def]
    p = palette(qtbot)
    p.suggest([], None)
    p.set_current("L2")  # the user's choice for the next outline
    p.follow(["T1", "T2"])
    assert p.current == "L2"


def test_parts_repeat_so_the_part_palette_never_runs_out(qtbot) -> None:  # type: ignore[no-untyped-def]
    parts = PartPalette()
    qtbot.addWidget(parts)
    parts.suggest(list(parts.labels), "pedicle")
    assert not parts.none_left and parts.current == "pedicle"
    parts.set_current("body")
    parts.follow(list(parts.labels))
    assert parts.current == "body"
