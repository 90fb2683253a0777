"""The window's words after a prediction (user audit, round 13): the palette's next label
counts the predicted vertebrae and never proposes a twin (N included), the predict
panel's model field fits its hint at 1280 x 720, and an export right after Predict says
how many of its outlines nobody reviewed."""

from __future__ import annotations

import numpy as np
import pytest

from vertapp.annotations.model import ImageRecord, Instance, Project
from vertapp.labels import VERTEBRAE
from vertapp.review.decisions import accept_ops, apply_predictions
from vertapp.review.prediction import PredictedShape

pytest.importorskip("pytestqt")


def box(i: int) -> np.ndarray:
    y = 4.0 + 6 * i
    return np.array([[10, y], [30, y], [30, y + 5], [10, y + 5]], float)


def open_image(window, instances: list[Instance]) -> None:  # type: ignore[no-untyped-def]
    project = Project(label_set="vertebrae")
    project.add_image(ImageRecord(1, "images/a.png", 64, 128, patient_key="p", instances=instances))
    window.doc.set_project(project, "test", pending={1: np.zeros((128, 64), np.uint8)})
    window.doc.set_current(1)


def predict(window, labels: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """What a prediction run does to the project (the panel's own path, without a model)."""
    from PySide6.QtCore import QCoreApplication

    shapes = {1: [PredictedShape(name, 0.9, [box(i)]) for i, name in enumerate(labels)]}
    apply_predictions(window.doc.project, shapes, "m@e1:abc")
    # a change made outside the undo stack is drawn at the next turn of the event loop
    # (once for the whole run, not once a vertebra): before a user can look or act
    QCoreApplication.processEvents()


def test_the_next_label_follows_a_prediction_run(window) -> None:  # type: ignore[no-untyped-def]
    """After T9-L5 were predicted on an empty image it still said "Next label: T1"."""
    open_image(window, [])
    assert window.labels.current == "T1"
    predict(window, VERTEBRAE[8:])
    assert window.labels.current == "T8"
    assert window.labels.next_label.text().startswith("Next label: T8")


def test_with_every_level_on_the_image_n_adds_no_twin(window) -> None:  # type: ignore[no-untyped-def]
    """It said "Next label: L5 (N)", and N gave the selected outline a second L5."""
    open_image(window, [Instance(i + 1, name, [box(i)]) for i, name in enumerate(VERTEBRAE)])
    assert window.labels.none_left and "none left" in window.labels.next_label.text()
    window.annot.tool.select(3)  # T3 selected
    window.act_next_label.trigger()
    assert window.doc.project.instance(3).label == "T3"
    assert "Every level is on this image" in window.statusBar().currentMessage()
    assert window.doc.stack.count() == 0


def test_an_export_after_predict_says_how_many_nobody_reviewed(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """It only said "Exported ann.json" (docs/review.md keeps the content: reviewed false)."""
    open_image(window, [])
    predict(window, ("T2", "T3", "T4"))
    first = window.doc.current.instances[0].id
    window.doc.edit_many(accept_ops(window.doc.project, [first]), "Accept")
    assert window.export(tmp_path / "ann.json", "coco")
    window.wait_for_export()
    assert window.statusBar().currentMessage() == (
        "Exported ann.json: 3 outlines, 2 of them predictions nobody reviewed "
        "(marked reviewed: false)"
    )


def test_the_model_fields_hint_fits_at_1280_by_720(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The placeholder "model (.pt); empty: the project's own, else the …" was cut off at
    1280 and 1600 px wide; the whole sentence is the tooltip."""
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    win = MainWindow()
    win.setProperty("headless", True)
    qtbot.addWidget(win)
    flow = install_model_workflow(win)
    win.resize(1280, 720)
    win.show()
    flow.review_dock.show()
    qtbot.wait(20)
    field = flow.predict_panel.model_path
    hint = field.placeholderText()
    # the frame and the line edit's own margins take about 6 px a side
    assert field.fontMetrics().horizontalAdvance(hint) <= field.width() - 12, hint
    assert "starter model VertApp ships" in field.toolTip()
