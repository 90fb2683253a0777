"""A small in-memory project with predictions, inside the window's Document."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")


@pytest.fixture
def review_doc(qtbot):
    from tests.unit.review.sample import review_project
    from vertapp.gui.document.document import Document

    project = review_project()
    pending = {i: np.full((64, 64), 40 * i, np.uint8) for i in project.images}
    doc = Document()
    doc.set_project(project, "test", pending=pending)
    doc.set_current(1)
    return doc


@pytest.fixture
def panel(qtbot, review_doc):
    """A review panel on `review_doc`, at threshold 0.5."""
    from vertapp.gui.model.review_panel import ReviewPanel

    p = ReviewPanel(review_doc)
    qtbot.addWidget(p)
    p.set_threshold(0.5)
    return p
