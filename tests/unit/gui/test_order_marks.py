"""The tag on a renumbered prediction: short, and on the side of the outline with room."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vertapp.annotations.model import ImageRecord, Instance
from vertapp.gui.views.order_marks import OrderMarks


def renumbered(iid: int, x0: float, was: str | None) -> Instance:
    square = np.array([[x0, 10], [x0 + 30, 10], [x0 + 30, 40], [x0, 40]], float)
    extra = {"vertapp": {"original_label": was}} if was else {}
    return Instance(
        iid, "T12", [square], source="predicted", score=0.8, order_changed=True, extra=extra
    )


def test_tags_say_what_the_model_said_on_the_roomier_side(qtbot) -> None:
    view = pg.ViewBox()
    marks = OrderMarks(view)
    img = ImageRecord(
        1, "a.png", 200, 64, instances=[renumbered(1, 20, "T11"), renumbered(2, 150, None)]
    )
    marks.show(img)
    assert marks.texts() == ["⚠ was T11", "⚠ reordered"]
    left, right = marks.items
    # room right of the first outline (200 - 50) > left of it (20): tag to its right
    assert left.pos().x() == 52 and tuple(left.anchor) == (0, 0.5)
    # the second ends 20 px from the right edge, 150 free on its left: tag to its left
    assert right.pos().x() == 148 and tuple(right.anchor) == (1, 0.5)
    reviewed = renumbered(3, 20, "T11")
    reviewed.reviewed = True
    marks.show(ImageRecord(1, "a.png", 200, 64, instances=[reviewed]))
    assert marks.texts() == []  # decided: no longer flagged
