"""The Labels dock's level buttons show their whole text at every width (offscreen Qt).

At its minimum width (222 px: a 1280 px window with the review panel open) six columns
of 34 px cut T10..T12 to "T1(" and "T1:"; the buttons now take fewer columns instead."""

from __future__ import annotations

import pytest

from vertapp.gui.annotate.label_palette import MIN_WIDTH, LabelPalette, grid_places
from vertapp.gui.annotate.part_palette import PartPalette
from vertapp.labels import VERTEBRAE


def test_the_lumbar_levels_start_a_row_of_their_own() -> None:
    six = grid_places(VERTEBRAE, 6)
    assert six["T6"] == (0, 5) and six["T7"] == (1, 0) and six["L1"] == (2, 0)
    five = grid_places(VERTEBRAE, 5)
    assert five["T12"] == (2, 1) and five["L1"] == (3, 0) and five["L5"] == (3, 4)
    four = grid_places(VERTEBRAE, 4)
    assert four["L1"] == (3, 0) and four["L4"] == (3, 3) and four["L5"] == (4, 0)


@pytest.mark.parametrize("width", [MIN_WIDTH, 256, 400, 120])
def test_every_button_is_as_wide_as_its_text_needs(qtbot, width: int) -> None:  # type: ignore[no-untyped-def]
    palette = LabelPalette(VERTEBRAE)
    qtbot.addWidget(palette)
    palette.resize(width, 300)
    palette.show()
    qtbot.waitExposed(palette)
    palette.layout().activate()
    narrow = {
        name: (b.width(), b.sizeHint().width())
        for name, b in palette.buttons.items()
        if b.width() < b.sizeHint().width()
    }
    assert narrow == {}
    right = max(b.geometry().right() for b in palette.buttons.values())
    assert right < palette.width()  # none pushed out of the palette either


def test_the_palette_asks_no_more_width_than_before(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The window's layout (the MIP's share) is sized round the palette's minimum."""
    palette = LabelPalette(VERTEBRAE)
    qtbot.addWidget(palette)
    palette.show()
    assert palette.minimumSizeHint().width() <= MIN_WIDTH
    assert palette.minimumWidth() == MIN_WIDTH
    palette.resize(MIN_WIDTH, 300)
    assert palette.columns < 6  # T10 needs more than a sixth of it


def test_the_radiograph_palette_keeps_its_own_layout(qtbot) -> None:  # type: ignore[no-untyped-def]
    palette = PartPalette()
    qtbot.addWidget(palette)
    palette.resize(300, 200)
    palette.show()
    assert palette.grid is None and palette.columns == 0
