"""A prediction run that found nothing says so once, with the threshold it used and what
to try (audit r16): after a model that learnt nothing the panel said both "Last run: 0
vertebrae predicted" and, under it, "No prediction yet"."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from tests.unit.gui_ml.test_predict_compare import run_for  # noqa: E402
from vertapp.annotations.model import ImageRecord, Project  # noqa: E402
from vertapp.gui.model.predict_panel import PredictPanel  # noqa: E402
from vertapp.review.prediction import PredictRun  # noqa: E402


@pytest.fixture
def empty_doc(qtbot):  # type: ignore[no-untyped-def]
    """One unlabelled image, no prediction."""
    from vertapp.gui.document.document import Document

    project = Project(label_set="vertebrae")
    project.add_image(ImageRecord(1, "images/im1.png", 64, 64, patient_key="p1"))
    doc = Document()
    doc.set_project(project, "test", pending={1: np.zeros((64, 64), np.uint8)})
    doc.set_current(1)
    return doc


def _factory(runs: list[PredictRun], floors: list[float]):  # type: ignore[no-untyped-def]
    def factory(path, snaps, floor):  # type: ignore[no-untyped-def]
        floors.append(floor)
        yield from ()
        run = runs.pop(0)
        run.score_floor = floor
        return run

    return factory


def _predict(qtbot, panel: PredictPanel) -> str:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(panel.run_finished, timeout=5000):
        panel.predict_current()
    return panel.status.text()


def test_a_run_that_found_nothing_says_it_once(qtbot, empty_doc, tmp_path) -> None:
    nothing = PredictRun("m@e1:abc", Path("m.pt"), {1: []}, {"images": [], "annotations": []}, 0)
    floors: list[float] = []
    panel = PredictPanel(empty_doc, _factory([nothing, run_for([1])], floors))
    qtbot.addWidget(panel)
    (tmp_path / "m.pt").write_bytes(b"x")
    panel.set_model_path(tmp_path / "m.pt")
    panel.set_threshold(0.2)
    panel.show()
    assert panel.summary.text() == "No prediction yet" and panel.summary.isVisible()
    text = _predict(qtbot, panel)
    assert text == (
        "Last run: nothing found by m.pt (epoch 1) at score threshold 0.20. Try a lower "
        "threshold and predict again, or a better-trained model."
    )
    assert floors == [pytest.approx(0.2)]  # the threshold said is the one the run used
    assert panel.summary.isHidden()  # not "No prediction yet" under it
    if os.environ.get("VERTAPP_H8_PNG_DIR"):
        panel.resize(380, 200)  # as in the dock: the words wrap
        panel.grab().save(os.path.join(os.environ["VERTAPP_H8_PNG_DIR"], "found_nothing.png"))
    text = _predict(qtbot, panel)  # a model that finds vertebrae: the summary is back
    assert text.startswith("Last run: 2 vertebrae predicted")
    assert panel.summary.isVisible() and panel.summary.text().startswith("2 predicted")
