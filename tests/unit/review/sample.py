"""The small review project both the Qt-free review tests and the window's review tests use.

Image 1: three predictions (T2 reordered from T3); 2: one prediction; 3: a hand-drawn T1.
"""

from __future__ import annotations

import numpy as np

from vertapp.annotations.model import ImageRecord, Instance, Project


def square(x: float, y: float, size: float) -> np.ndarray:
    return np.array([[x, y], [x + size, y], [x + size, y + size], [x, y + size]], np.float64)


def predicted(iid: int, label: str, y: float, score: float, **kw) -> Instance:
    return Instance(
        iid, label, [square(10, y, 12)], source="predicted", score=score, model_id="m@e1", **kw
    )


def review_project() -> Project:
    instances = {
        1: [
            predicted(1, "T1", 2, 0.95),
            predicted(
                2, "T2", 18, 0.80, order_changed=True, extra={"vertapp": {"original_label": "T3"}}
            ),
            predicted(3, "T3", 34, 0.97),
        ],
        2: [predicted(4, "L1", 5, 0.99)],
        3: [Instance(5, "T1", [square(10, 10, 10)])],  # hand-drawn ground truth
    }
    project = Project(label_set="vertebrae")
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
    return project
