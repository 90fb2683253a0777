"""Vertebra names on the MIP: inside their outline, on a dark box, readable on bone and on
black (round 10 UX audit: at the bounding-box centre they fell in the dark gap between
body and posterior elements, thin coloured text)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from vertapp.annotations.label_anchor import label_anchor
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.polygon_layer import Shape

# A "C" opening to the right (a body with its posterior elements seen from the side has
# such bites): the centre of its bounding box, (100, 100), lies in the gap, outside.
C_SHAPE = np.array(
    [[20, 20], [180, 20], [180, 60], [60, 60], [60, 140], [180, 140], [180, 180], [20, 180]],
    dtype=float,
)


def _grey(view: AnnotationView) -> np.ndarray:
    QApplication.processEvents()
    image = view.canvas.view.viewport().grab().toImage()
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8).reshape(height, stride)[:, :width].copy()


def _around(view: AnnotationView, grey: np.ndarray, x: float, y: float) -> np.ndarray:
    """The screen pixels a name centred on scene point (x, y) would cover."""
    p = view.canvas.map_to_widget(x, y)
    ratio = grey.shape[1] / view.canvas.view.viewport().width()  # device pixels
    cx, cy = int(p.x() * ratio), int(p.y() * ratio)
    return grey[cy - 5 : cy + 6, cx - 8 : cx + 9]


@pytest.mark.parametrize("background", [255, 0])  # bright bone, black air
def test_the_name_sits_inside_its_outline_on_a_dark_box(qtbot, background) -> None:  # type: ignore[no-untyped-def]
    view = AnnotationView()
    qtbot.addWidget(view)
    view.resize(420, 440)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(np.full((200, 200), background, np.uint8))
    view.set_shapes({1: Shape([C_SHAPE], "L2")})
    view.canvas.fit()
    shape = view.layer.shapes[1]
    assert shape.anchor is not None and shape.path.contains(shape.anchor)
    assert not shape.path.contains(shape.path.boundingRect().center())  # the old place
    grey = _grey(view)
    name = _around(view, grey, shape.anchor.x(), shape.anchor.y())
    assert (name < 100).mean() > 0.3  # the dark box, on white bone as on black
    assert (name > 200).any()  # white letters on it
    gap = _around(view, grey, 100.0, 100.0)  # nothing written in the gap
    assert np.ptp(gap) < 30


def test_the_anchor_is_inside_the_largest_part_and_cached() -> None:
    small = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=float)
    x, y = label_anchor([small, C_SHAPE]) or (np.nan, np.nan)
    assert 20 < x < 60 and 20 < y < 180  # in the C's bar, the widest region
    assert label_anchor([C_SHAPE.copy()]) == label_anchor([C_SHAPE])
    bow_tie = np.array([[0, 0], [10, 10], [10, 0], [0, 10]], dtype=float)  # drawn crossing
    assert label_anchor([bow_tie]) is not None
    assert label_anchor([np.array([[0, 0], [1, 1], [2, 2]], dtype=float)]) is None  # no area
