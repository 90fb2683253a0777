"""A small in-memory project with predictions, inside the window's Document."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")


def square(x0: float, y0: float, size: float) -> np.ndarray:
    return np.array(
        [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]], dtype=np.float64
    )


@pytest.fixture
def review_doc(qtbot):
    from vertapp.annotations.model import ImageRecord, Instance, Project
    from vertapp.gui.document.document import Document

    def pred(iid: int, label: str, y: float, score: float, **kw) -> Instance:
        return Instance(
            iid, label, [square(10, y, 12)], source="predicted", score=score, model_id="m@e1", **kw
        )

    instances = {
        1: [
            pred(1, "T1", 2, 0.95),
            pred(
                2, "T2", 18, 0.80, order_changed=True, extra={"vertapp": {"original_label": "T3"}}
            ),
            pred(3, "T3", 34, 0.97),
        ],
        2: [pred(4, "L1", 5, 0.99)],
        3: [Instance(5, "T1", [square(10, 10, 10)])],  # hand-drawn ground truth
    }
    project = Project(label_set="vertebrae")
    pending = {}
    for image_id, insts in instances.items():
        project.add_image(
            ImageRecord(
                image_id,
                f"images/im{image_id}.png",
                64,
                64,
                patient_key=f"p{image_id}",
                instances=insts,
            )
        )
        pending[image_id] = np.full((64, 64), 40 * image_id, np.uint8)
    doc = Document()
    doc.set_project(project, "test", pending=pending)
    doc.set_current(1)
    return doc
