"""On a film drawn as parts, Relabel moves a part to another vertebra (its kind stays)."""

from __future__ import annotations

import numpy as np

from tests.unit.review.sample import square
from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.gui.document.document import Document
from vertapp.gui.model.review_panel import ReviewPanel
from vertapp.review.status import VERTEBRA_KEY


def part(iid: int, label: str, level: str, y: float) -> Instance:
    return Instance(
        iid,
        label,
        [square(10, y, 8)],
        source="predicted",
        score=0.9,
        model_id="m@e1",
        extra={"vertapp": {VERTEBRA_KEY: level}},
    )


def test_relabel_on_a_part_offers_levels_and_moves_it(qtbot) -> None:
    project = Project(label_set="parts")
    parts = [part(1, "body", "L2", 2), part(2, "pedicle", "L2", 12), part(3, "body", "L3", 30)]
    project.add_image(ImageRecord(1, "images/a.png", 64, 64, kind="radiograph", instances=parts))
    doc = Document()
    doc.set_project(project, "parts", pending={1: np.zeros((64, 64), np.uint8)})
    doc.set_current(1)
    panel = ReviewPanel(doc)
    qtbot.addWidget(panel)
    panel.set_threshold(0.5)
    combo = panel.relabel_combo
    assert [combo.itemText(k) for k in range(combo.count())][-2:] == ["L4", "L5"]
    panel.select_instance(2)  # chosen in the image: the box shows the part's level
    assert combo.currentText() == "L2"
    combo.setCurrentText("L3")
    panel.relabel_selected()
    moved = project.instance(2)
    assert moved.label == "pedicle" and moved.extra["vertapp"][VERTEBRA_KEY] == "L3"
    assert moved.reviewed and moved.source == "corrected"
    doc.stack.undo()
    assert project.instance(2).extra["vertapp"][VERTEBRA_KEY] == "L2"
