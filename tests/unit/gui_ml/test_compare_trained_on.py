"""Compare with truth on a scan the model was trained on said nothing: its score (0.948
Dice for the shipped starter on a VerSe case it learnt from) read like a test result. The
panel now says so above the scores when the model's record (`vertapp.ml.trained_on`)
holds the image's patient or its very pixels; a model that records nothing says nothing."""

from __future__ import annotations

import pytest

from tests.unit.gui_ml.test_predict_compare import coco_of, run_for, square
from vertapp.annotations import geometry as geo
from vertapp.gui.model.compare_panel import ComparePanel
from vertapp.ml.trained_on import TrainedOn, image_digest, patient_digest
from vertapp.review.seen_in_training import SEEN_ONE


def _scored(qtbot, review_doc, learnt: TrainedOn | None) -> ComparePanel:  # type: ignore[no-untyped-def]
    """Compare on image 3 (hand-drawn T1) with a run of a model that learnt `learnt`."""
    truth = geo.polygons_to_mask([square(10, 10, 10)], 64, 64)
    panel = ComparePanel(review_doc)
    qtbot.addWidget(panel)
    panel.set_threshold(0.5)
    review_doc.set_current(3)
    run = run_for([3], coco_of({"T1": (truth, 0.95)}, 3))
    run.trained_on = learnt
    panel.set_run(run)
    assert panel.result is not None and "mean Dice <b>1.000</b>" in panel.summary.text()
    return panel


def test_a_scan_of_a_training_patient_is_said_to_be_no_test(qtbot, review_doc) -> None:  # type: ignore[no-untyped-def]
    patient = review_doc.project.images[3].patient_key or review_doc.project.images[3].file_name
    panel = _scored(qtbot, review_doc, TrainedOn(patients=frozenset({patient_digest(patient)})))
    assert not panel.trained_note.isHidden()
    assert panel.trained_note.text() == SEEN_ONE
    review_doc.set_current(1)  # no ground truth there: nothing scored, nothing said
    assert panel.trained_note.isHidden()


def test_the_same_pixels_under_another_patient_key_are_seen_too(qtbot, review_doc) -> None:  # type: ignore[no-untyped-def]
    pixels = review_doc.pixels(3)
    panel = _scored(qtbot, review_doc, TrainedOn(images=frozenset({image_digest(pixels)})))
    assert panel.trained_note.text() == SEEN_ONE


@pytest.mark.parametrize("learnt", [None, TrainedOn(patients=frozenset({patient_digest("x")}))])
def test_an_unseen_scan_or_a_model_without_a_record_says_nothing(qtbot, review_doc, learnt) -> None:  # type: ignore[no-untyped-def]
    panel = _scored(qtbot, review_doc, learnt)
    assert panel.trained_note.isHidden() and panel.trained_note.text() == ""


def test_several_scored_images_name_the_seen_ones_by_their_place() -> None:
    from vertapp.review.seen_in_training import seen_words

    assert seen_words([3], 2, {3: 2}.get) == (
        "1 of 2 scored images (image 2) was in the model's training data: its score is not a test."
    )
    assert seen_words([], 2) == ""
    assert seen_words([1, 3], 2).startswith("All 2 scored images")
