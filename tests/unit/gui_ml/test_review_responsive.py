"""Review decisions stay quick and say what they did (audit round 15).

Shift+A on 17 predictions redrew the review table and recounted the whole project once
per vertebra (286 ms on a 300-image project, its undo as long); after Ctrl+Right no row
was selected and A or R did nothing, in silence; an accepted prediction was drawn dashed
like an undecided one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter

from vertapp.gui.model import predict_panel as pp
from vertapp.gui.model.predict_panel import PredictPanel
from vertapp.gui.model.review_panel import ReviewPanel
from vertapp.gui.views.polygon_layer import PolygonLayer, Shape, is_dashed
from vertapp.review import status as rv


def _count_rows(panel: ReviewPanel, monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Every table row the panel fills from now on (its instance id)."""
    filled: list[int] = []
    fill = panel._fill_row

    def counting(row, inst):  # type: ignore[no-untyped-def]
        filled.append(inst.id)
        fill(row, inst)

    monkeypatch.setattr(panel, "_fill_row", counting)
    return filled


def test_accept_all_and_its_undo_redraw_the_table_once(panel, review_doc, monkeypatch) -> None:
    """One undo step, one redraw: the macro's every accept redrew all rows before."""
    filled = _count_rows(panel, monkeypatch)
    panel.accept_all_above()
    assert sorted(filled) == [1, 2, 3]  # once each, not once per accepted vertebra
    assert [panel.table.item(r, 3).text() for r in range(3)] == ["accepted"] * 3  # at once
    filled.clear()
    review_doc.stack.undo()
    assert sorted(filled) == [1, 2, 3]
    assert [panel.table.item(r, 3).text() for r in range(3)] == ["not started"] * 3
    filled.clear()
    review_doc.stack.redo()
    assert sorted(filled) == [1, 2, 3]
    assert panel.table.item(0, 3).text() == "accepted"


def test_a_change_made_outside_the_undo_stack_still_reaches_the_table(
    qtbot, panel, review_doc
) -> None:
    """No undo step ends such a change: the table follows on the next event-loop turn."""
    from vertapp.annotations.ops import AcceptPrediction

    review_doc.project.apply(AcceptPrediction(1))
    qtbot.waitUntil(lambda: panel.table.item(0, 3).text() == "accepted", timeout=2000)


def test_the_summary_counts_once_per_step_and_only_the_changed_image(
    qtbot, panel, review_doc, monkeypatch
) -> None:
    """The project-wide count was redone from every instance after each accept."""
    predict = PredictPanel(review_doc)
    qtbot.addWidget(predict)
    assert predict.summary.text().endswith("4 waiting for review")
    counted: list[int] = []
    texts: list[int] = []
    count, words = pp.prediction_count, pp.predictions_text

    def counting(img):  # type: ignore[no-untyped-def]
        counted.append(img.id)
        return count(img)

    def wording(counts):  # type: ignore[no-untyped-def]
        texts.append(1)
        return words(counts)

    monkeypatch.setattr(pp, "prediction_count", counting)
    monkeypatch.setattr(pp, "predictions_text", wording)
    panel.accept_all_above()
    assert counted == [1] and len(texts) == 1  # image 1 recounted, once
    assert predict.summary.text().endswith("1 waiting for review")
    review_doc.stack.undo()
    assert predict.summary.text().endswith("4 waiting for review")
    assert predict.summary.toolTip() == "Models: m@e1"
    assert rv.stored_predictions_text(review_doc.project) == predict.summary.text()


def test_another_image_opens_with_its_first_undecided_prediction_selected(
    panel, review_doc
) -> None:
    """After Ctrl+Right (Next unreviewed) no row was selected: A and R did nothing."""
    picked: list[object] = []
    panel.instance_selected.connect(picked.append)
    review_doc.set_current(2)
    assert panel.selected_ids() == [4]
    assert picked == [4]  # the main view selects it too, as after a decision
    panel.accept_selected()
    assert review_doc.project.instance(4).reviewed
    review_doc.set_current(1)
    assert panel.selected_ids() == [1]
    panel.accept_selected()
    panel.accept_selected()
    panel.reject_selected()  # A, A, R: each on the next vertebra
    assert review_doc.project.instance(1).reviewed and review_doc.project.instance(2).reviewed
    assert not review_doc.project.has_instance(3)
    review_doc.set_current(3)  # hand-drawn only: nothing to decide, nothing selected
    assert panel.selected_ids() == []


def test_next_unreviewed_selects_the_first_undecided_one(panel, review_doc) -> None:
    panel.go_next_unreviewed()
    assert review_doc.current_id == 2
    assert panel.selected_ids() == [4]


def test_a_or_r_with_no_row_selected_says_so(panel, review_doc) -> None:
    said: list[str] = []
    panel.message.connect(said.append)
    panel.table.clearSelection()
    panel.accept_selected()
    panel.reject_selected()
    assert said == [
        "Nothing to accept: select a vertebra in the list first.",
        "Nothing to reject: select a vertebra in the list first.",
    ]
    assert review_doc.stack.count() == 0
    said.clear()
    review_doc.set_current(3)  # hand-drawn only
    panel.table.selectRow(0)
    panel.accept_selected()
    assert said == ["Nothing to accept: a hand-drawn outline needs no decision."]
    assert review_doc.stack.count() == 0


# -- the main view -----------------------------------------------------------------------------
def _outline_coverage(shape: Shape) -> float:
    """The share of the square's top edge the outline paints (dashes leave gaps)."""
    layer = PolygonLayer()
    layer.opacity_fill = 0.0
    layer.visible_labels = False
    layer.set_bounds(100, 100)
    layer.set_shapes({1: shape})
    image = QImage(100, 100, QImage.Format.Format_RGB32)
    image.fill(QColor(0, 0, 0))
    painter = QPainter(image)
    layer.paint(painter)
    painter.end()
    row = [image.pixelColor(x, 10) for x in range(15, 86)]
    return sum(c.red() + c.green() + c.blue() > 60 for c in row) / len(row)


def _square_shape(**kw) -> Shape:  # type: ignore[no-untyped-def]
    square = np.array([[10, 10], [90, 10], [90, 90], [10, 90]], float)
    return Shape([square], label="L1", **kw)


def test_an_accepted_prediction_is_drawn_solid_an_undecided_one_dashed(qtbot) -> None:
    undecided = _square_shape(source="predicted", score=0.9)
    accepted = _square_shape(source="predicted", score=0.9, reviewed=True)
    drawn = _square_shape(source="manual")
    assert is_dashed(undecided) and not is_dashed(accepted) and not is_dashed(drawn)
    assert _outline_coverage(undecided) < 0.95  # gaps
    assert _outline_coverage(accepted) == _outline_coverage(drawn) == 1.0
