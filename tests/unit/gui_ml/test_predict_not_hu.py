"""The window's Predict on an image whose CT was read as not CT in Hounsfield units (an
8-bit picture): `vertapp predict` leaves such a volume unpredicted unless
--predict-non-hu, the window predicted it and showed vertebrae on the pelvis. One such
image is asked about (Predict anyway / Skip), several are skipped and said by id."""

from __future__ import annotations

import pytest

from tests.unit.gui_ml.test_predict_compare import run_for
from vertapp.annotations.hu_verdict import NOT_HU, record_not_hu, verdict_meta
from vertapp.gui.model.predict_panel import PredictPanel

VERDICT = (
    "values run from 0 to 255 only, like an 8-bit picture: this is not CT in Hounsfield "
    "units (the spine will not be found)"
)


@pytest.fixture
def predict(qtbot, review_doc, tmp_path):  # type: ignore[no-untyped-def]
    """A Predict panel whose runs predict what they are given; image 2 read as not HU."""
    review_doc.project.images[2].extra.setdefault("vertapp", {})[NOT_HU] = VERDICT
    given: list[list[int]] = []

    def factory(path, snaps, floor):  # type: ignore[no-untyped-def]
        given.append([s.image_id for s in snaps])
        yield from ()
        return run_for([s.image_id for s in snaps])

    panel = PredictPanel(review_doc, factory)
    qtbot.addWidget(panel)
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    panel.given = given  # type: ignore[attr-defined]
    return panel


def test_predict_all_skips_the_not_hu_image_and_says_which_and_why(
    qtbot, predict, review_doc
) -> None:  # type: ignore[no-untyped-def]
    before = [i.id for i in review_doc.project.images[2].instances]
    asked: list[str] = []
    predict.ask_not_hu = lambda verdict: asked.append(verdict) or True
    with qtbot.waitSignal(predict.run_finished, timeout=5000):
        predict.predict_all()
    assert predict.given == [[1, 3]]  # image 2 never reached the model
    assert asked == []  # several images: skipped, not asked one by one
    assert [i.id for i in review_doc.project.images[2].instances] == before
    text = predict.status.text()
    assert "1 image not predicted" in text and f"id 2: {VERDICT}" in text, text
    assert "Predict it on its own to be asked" in text


def test_predict_current_asks_and_skip_predicts_nothing(qtbot, predict, review_doc) -> None:  # type: ignore[no-untyped-def]
    said: list[str] = []
    predict.message.connect(said.append)
    asked: list[str] = []
    predict.ask_not_hu = lambda verdict: asked.append(verdict) or False
    review_doc.set_current(2)
    predict.predict_current()
    assert asked == [VERDICT]
    assert predict.given == [] and not predict.is_running()
    assert review_doc.stack.count() == 0
    assert predict.status.text().startswith("1 image not predicted")
    assert "on its own to be asked" not in predict.status.text()  # it was just asked
    assert said == [predict.status.text()]  # the status bar hears it too


def test_predict_anyway_predicts_it(qtbot, predict, review_doc) -> None:  # type: ignore[no-untyped-def]
    predict.ask_not_hu = lambda _verdict: True
    review_doc.set_current(2)
    with qtbot.waitSignal(predict.run_finished, timeout=5000):
        predict.predict_current()
    assert predict.given == [[2]]
    assert "not predicted" not in predict.status.text()


def test_without_a_window_to_ask_it_is_skipped_as_the_command_line_does(
    qtbot, predict, review_doc
) -> None:  # type: ignore[no-untyped-def]
    review_doc.set_current(2)
    predict.predict_current()
    assert not predict.is_running() and predict.given == []
    assert predict.status.text().startswith("1 image not predicted")


def test_an_image_in_hu_is_not_asked_about(qtbot, predict, review_doc) -> None:  # type: ignore[no-untyped-def]
    predict.ask_not_hu = lambda _verdict: pytest.fail("asked about a CT in HU")
    with qtbot.waitSignal(predict.run_finished, timeout=5000):
        predict.predict_current()  # image 1
    assert predict.given == [[1]]


@pytest.mark.parametrize("stored", [None, 3, "", ["x"]])
def test_a_hand_edited_record_reads_as_no_verdict(stored: object) -> None:
    assert record_not_hu({NOT_HU: stored}) is None
    assert record_not_hu("not a dict") is None
    assert verdict_meta(["slices are 6 mm apart"]) == {}
    assert verdict_meta([VERDICT]) == {NOT_HU: VERDICT}
