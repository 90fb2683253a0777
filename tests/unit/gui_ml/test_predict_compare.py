"""Predict panel (fake runs: no model) and Compare panel (the engine's real evaluation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vertapp.annotations import geometry as geo
from vertapp.gui.model.compare_panel import (
    PRED_RGB,
    SAME_RGB,
    TRUTH_RGB,
    WRONG_RGB,
    ComparePanel,
    overlay_rgba,
)
from vertapp.gui.model.predict_panel import PredictPanel
from vertapp.ml.checkpoint import read_checkpoint
from vertapp.review.prediction import PredictedShape, PredictRun

ROOT = Path(__file__).resolve().parents[3]


def square(x0: float, y0: float, size: float) -> np.ndarray:
    return np.array([[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]], float)


def run_for(image_ids: list[int], coco: dict | None = None) -> PredictRun:
    shapes = {
        i: [
            PredictedShape("T1", 0.93, [square(10, 10, 10)]),
            PredictedShape("T2", 0.4, [square(10, 30, 10)], True, "T4"),
        ]
        for i in image_ids
    }
    return PredictRun(
        "m@e2:123", Path("m.pt"), shapes, coco or {"images": [], "annotations": []}, 0.3
    )


def fake_factory(run: PredictRun):
    def factory(path, snaps, floor):
        assert floor == pytest.approx(0.3)  # min(SCORE_FLOOR 0.3, the slider's)
        yield from ()
        return run

    return factory


def test_predict_all_is_one_undo_step_and_spares_ground_truth(qtbot, review_doc, tmp_path) -> None:
    project = review_doc.project
    before = {i: [x.id for x in img.instances] for i, img in project.images.items()}
    panel = PredictPanel(review_doc, fake_factory(run_for([1, 2, 3])))
    qtbot.addWidget(panel)
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    with qtbot.waitSignal(panel.run_finished, timeout=5000):
        panel.predict_all()
    # Undecided predictions of images 1 and 2 are replaced; image 3 (ground truth) is kept.
    assert [i.label for i in project.images[1].instances] == ["T1", "T2"]
    assert [i.score for i in project.images[2].instances] == [0.93, 0.4]
    assert [x.id for x in project.images[3].instances] == before[3]
    t2 = project.images[1].instances[1]
    assert t2.order_changed and t2.extra["vertapp"]["original_label"] == "T4"
    assert t2.model_id == "m@e2:123" and t2.source == "predicted"
    assert panel.skipped_ground_truth == [3]
    assert "see Compare" in panel.status.text()
    assert review_doc.stack.count() == 1
    review_doc.stack.undo()
    assert {i: [x.id for x in img.instances] for i, img in project.images.items()} == before


def test_predict_without_model_says_so(qtbot, review_doc) -> None:
    panel = PredictPanel(review_doc, fake_factory(run_for([1])))
    qtbot.addWidget(panel)
    panel.set_model_path("/nonexistent/model.pt")
    panel.predict_current()
    assert not panel.is_running()
    assert panel.status.text() == "Model file not found: /nonexistent/model.pt"


def coco_of(masks: dict[str, tuple[np.ndarray, float]], image_id: int) -> dict:
    anns = []
    for k, (mask, score) in enumerate(masks.values()):
        anns.append(
            {
                "id": k + 1,
                "image_id": image_id,
                "category_id": 1 + ["T1", "T2", "T3"].index(list(masks)[k]),
                "segmentation": geo.rle_to_json(geo.mask_to_rle(mask)),
                "score": score,
            }
        )
    cats = [{"id": i + 1, "name": n} for i, n in enumerate(["T1", "T2", "T3"])]
    return {
        "images": [{"id": image_id, "file_name": "images/im3.png", "width": 64, "height": 64}],
        "annotations": anns,
        "categories": cats,
    }


def test_the_slider_shows_each_run_at_its_models_threshold_until_the_user_sets_it(
    qtbot, review_doc, tmp_path
) -> None:
    run = run_for([1])
    run.model_threshold = 0.6
    panel = PredictPanel(review_doc, fake_factory(run))
    qtbot.addWidget(panel)
    # before any run: the shipped starter's own threshold (the demo's predictions are its)
    shipped = read_checkpoint(ROOT / "vertapp/resources/models/starter-ct.pt")
    assert panel.threshold == pytest.approx(shipped["config"]["score_thresh"])
    assert panel.threshold < 0.9  # not the paper's
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    with qtbot.waitSignal(panel.run_finished, timeout=5000):
        panel.predict_all()
    assert panel.threshold == pytest.approx(0.6)  # the model's own
    panel.set_threshold(0.4)  # the user's choice stays for the next run
    with qtbot.waitSignal(panel.run_finished, timeout=5000):
        panel.predict_all()
    assert panel.threshold == pytest.approx(0.4)


def test_compare_scores_against_ground_truth(qtbot, review_doc) -> None:
    # Ground truth of image 3: T1 = square(10, 10, 10) -> rows/cols 10..19 (100 px).
    truth = geo.polygons_to_mask([square(10, 10, 10)], 64, 64)
    assert truth.sum() == 100
    shifted = np.roll(truth, 5, axis=0)  # half overlap -> Dice 0.5
    extra = np.zeros((64, 64), bool)
    extra[40:50, 40:50] = True
    coco = coco_of({"T1": (shifted, 0.95), "T2": (extra, 0.92)}, 3)
    panel = ComparePanel(review_doc)
    qtbot.addWidget(panel)
    panel.set_threshold(0.9)
    review_doc.set_current(3)
    panel.set_run(run_for([3], coco))
    result = panel.result
    assert [(v.label, round(v.dice, 6)) for v in result.vertebrae] == [("T1", 0.5)]
    assert result.false_positives == [(3, "T2")]
    assert panel.table.item(0, 1).text() == "0.500"
    assert "mean Dice <b>0.500</b>" in panel.summary.text()
    t, p = panel.masks(3)  # per level
    assert list(t) == ["T1"] and sorted(p) == ["T1", "T2"]
    assert t["T1"].sum() == 100 and p["T1"].sum() == 100 and (t["T1"] & p["T1"]).sum() == 50
    panel.set_threshold(0.99)  # nothing predicted any more: the vertebra scores 0
    assert [round(v.dice, 6) for v in panel.result.vertebrae] == [0.0]
    review_doc.set_current(1)  # no ground truth there
    assert panel.result is None and panel.table.rowCount() == 0


def test_overlay_colours() -> None:
    t = np.array([[True, True, False, False]])
    p = np.array([[False, True, True, False]])
    rgba = overlay_rgba({"T1": t}, {"T1": p}, t.shape)
    assert tuple(rgba[0, 0, :3]) == TRUTH_RGB
    assert tuple(rgba[0, 1, :3]) == SAME_RGB
    assert tuple(rgba[0, 2, :3]) == PRED_RGB
    assert rgba[0, 3, 3] == 0  # neither: transparent


def test_a_prediction_of_another_level_is_no_overlap() -> None:
    """The overlay compared the union of the truth with the union of the predictions: a
    T2 predicted over the true T1 showed as "overlap", like a right one."""
    t1 = np.array([[True, True, True, False]])
    t2 = np.array([[False, False, False, True]])
    p1 = np.array([[True, False, False, False]])
    p2 = np.array([[False, True, False, True]])  # over T1's second pixel, and over T2
    rgba = overlay_rgba({"T1": t1, "T2": t2}, {"T1": p1, "T2": p2}, t1.shape)
    assert tuple(rgba[0, 0, :3]) == SAME_RGB  # T1 on T1
    assert tuple(rgba[0, 1, :3]) == WRONG_RGB  # T2 on T1: wrong level
    assert tuple(rgba[0, 2, :3]) == TRUTH_RGB  # truth alone
    assert tuple(rgba[0, 3, :3]) == SAME_RGB  # T2 on T2


def test_compare_follows_edits_to_the_truth(qtbot, review_doc) -> None:
    """Deleting a hand-drawn vertebra left its Dice and the count in the table: the
    panel rescored only when the image changed. Now edits rescore it once they pause."""
    from vertapp.annotations import ops
    from vertapp.annotations.model import Instance

    truth = geo.polygons_to_mask([square(10, 10, 10)], 64, 64)
    t2 = np.zeros((64, 64), bool)
    t2[40:50, 40:50] = True
    coco = coco_of({"T1": (truth, 0.95), "T2": (t2, 0.95)}, 3)
    panel = ComparePanel(review_doc)
    qtbot.addWidget(panel)
    panel.set_threshold(0.9)
    review_doc.set_current(3)
    panel.set_run(run_for([3], coco))
    assert [v.label for v in panel.result.vertebrae] == ["T1"]
    drawn = Instance(review_doc.project.new_instance_id(), "T2", [square(40, 40, 10)])
    review_doc.edit(ops.AddInstance(3, drawn), "Add T2")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=3000)
    assert [v.label for v in panel.result.vertebrae] == ["T1", "T2"]
    assert "2 vertebrae" in panel.summary.text()
    review_doc.edit(ops.DeleteInstance(drawn.id), "Delete T2")
    review_doc.edit(ops.DeleteInstance(5), "Delete T1")  # a burst: scored once, at its end
    qtbot.waitUntil(lambda: panel.result is None, timeout=3000)
    assert panel.table.rowCount() == 0  # no truth left on the image
    review_doc.stack.undo()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=3000)
    assert panel.table.item(0, 0).text() == "T1" and panel.table.item(0, 1).text() == "1.000"


def test_score_all_shows_coco_ap_and_goes_out_of_date(qtbot, review_doc) -> None:
    """Score all computed COCO mask and box AP and showed only Dice: now the AP too; an
    edit to an image it scored says the figures are out of date."""
    from vertapp.annotations import ops

    truth = geo.polygons_to_mask([square(10, 10, 10)], 64, 64)
    coco = coco_of({"T1": (truth, 0.95)}, 3)
    panel = ComparePanel(review_doc)
    qtbot.addWidget(panel)
    panel.set_threshold(0.9)
    review_doc.set_current(3)
    panel.set_run(run_for([3], coco))
    assert "AP" not in panel.summary.text()  # one image: scored without COCO AP
    panel.evaluate_all()
    qtbot.waitUntil(lambda: not panel.worker.isRunning() and panel._scoring == (), timeout=20000)
    text = panel.summary.text()
    assert "COCO mask AP 1.000 (AP50 1.000, AP75 1.000); box AP 1.000" in text, text
    assert "Out of date" not in text
    review_doc.edit(ops.MoveVertex(5, 0, 0, (12.0, 12.0), gesture=1), "Move vertex")
    assert panel.summary.text().startswith("<b>Out of date</b>")
    assert "COCO mask AP" in panel.summary.text()  # the figures stay, marked


def test_model_for_other_labels_is_refused(qtbot, review_doc, tmp_path) -> None:
    run = run_for([1])
    run.shapes[1][0].label = "pedicle"
    panel = PredictPanel(review_doc, fake_factory(run))
    qtbot.addWidget(panel)
    model = tmp_path / "parts.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    panel.predict_current()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=5000)
    qtbot.waitUntil(lambda: "pedicle" in panel.status.text(), timeout=5000)
    assert panel.status.text().startswith("m.pt predicts pedicle")
    assert review_doc.stack.count() == 0


def test_a_run_finishing_after_another_project_opened_is_not_applied(
    qtbot, review_doc, tmp_path
) -> None:
    """Predict on project A, open B while it runs: B gets none of A's patient's outlines."""
    import threading

    from tests.unit.review.sample import review_project

    release = threading.Event()

    def factory(path, snaps, floor):
        release.wait(10)  # the worker thread holds here while the user opens B
        yield from ()
        return run_for([1, 2])

    panel = PredictPanel(review_doc, factory)
    qtbot.addWidget(panel)
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    panel.predict_all()
    other = review_project()
    before = {i: [x.id for x in img.instances] for i, img in other.images.items()}
    review_doc.set_project(other, "B", pending={})
    release.set()
    qtbot.waitUntil(lambda: "nothing was added" in panel.status.text(), timeout=5000)
    assert {i: [x.id for x in img.instances] for i, img in other.images.items()} == before
    assert panel.last_run is None
    assert review_doc.stack.count() == 0
