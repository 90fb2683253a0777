"""The clinician's loop from the window: train from the dialog, predict, review, save COCO.

Tiny synthetic images (96 x 64 px, four bright blocks labelled T1..T4) and a ResNet-18
Mask R-CNN at 64-96 px on one CPU thread keep training to a few iterations.
"""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QTimer  # noqa: E402

from vertapp.annotations.model import ImageRecord, Instance, Project  # noqa: E402

H, W = 96, 64
TINY = {  # fast preset overrides: seconds on a CPU, not a useful model
    "min_size": 64,
    "max_size": 96,
    "batch_size": 2,
    "views_per_image": 1,
    "warmup_iters": 1,
    "amp": False,
    "workers": 0,
}


def block(k: int) -> np.ndarray:
    y = 6 + 22 * k
    return np.array([[16, y], [48, y], [48, y + 16], [16, y + 16]], np.float64)


def tiny_project(n_images: int = 3, labelled: bool = True) -> tuple[Project, dict]:
    project = Project(label_set="vertebrae")
    pending = {}
    for i in range(n_images):
        img = np.full((H, W), 20, np.uint8)
        insts = []
        for k in range(4):
            y = 6 + 22 * k
            img[y : y + 16, 16:48] = 150 + 10 * k
            if labelled:
                insts.append(Instance(project.new_instance_id(), f"T{k + 1}", [block(k)]))
        rec = ImageRecord(i + 1, f"images/spine{i}.png", W, H, patient_key=f"patient{i}")
        rec.instances = insts
        project.add_image(rec)
        pending[rec.id] = img
    return project, pending


@pytest.fixture
def window(qtbot):
    import torch

    torch.set_num_threads(1)  # the training process started from the dialog inherits this
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    win = MainWindow()
    win.setProperty("headless", True)
    qtbot.addWidget(win)
    install_model_workflow(win)
    return win


class LoopLatency:
    """Gaps between 5 ms timer ticks of the GUI event loop.

    `max_busy_ms`: the most GUI-thread CPU time spent between two ticks, i.e. the longest
    stretch our own code kept the event loop from running. `max_gap_ms` / `p99_gap_ms`:
    wall-clock gaps, which also include time the OS gave the CPU to other processes
    (the CI machine has 2 cores shared by many jobs, so the wall maximum is noisy).
    """

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.busy: list[float] = []
        self._last = (0.0, 0.0)

    def start(self) -> None:
        self._last = (time.perf_counter(), time.thread_time())
        self.timer.start()

    def _tick(self) -> None:
        now = (time.perf_counter(), time.thread_time())
        self.gaps.append((now[0] - self._last[0]) * 1000)
        self.busy.append((now[1] - self._last[1]) * 1000)
        self._last = now

    def stop(self) -> None:
        self.timer.stop()

    @property
    def max_busy_ms(self) -> float:
        return max(self.busy)

    @property
    def max_gap_ms(self) -> float:
        return max(self.gaps)

    @property
    def p99_gap_ms(self) -> float:
        return float(np.percentile(self.gaps, 99))


def train_dialog(window, tmp_path: Path, epochs: int):
    project, pending = tiny_project()
    window.doc.set_project(project, "tiny", pending=pending)
    dialog = window.model_workflow.open_train_dialog()
    dialog.out_path.setText(str(tmp_path / "m.pt"))
    dialog.set_preset("fast")
    dialog.backbone.setCurrentText("resnet18")
    dialog.weights.setText("")
    values = dialog.settings.values() | TINY | {"epochs": epochs}
    dialog.settings.set_values(values)
    dialog.val_fraction.setValue(0.34)
    return dialog


@pytest.fixture
def frozen_heap():
    """The objects earlier tests of the session left alive are not the window's: a full
    collection walking them (127 ms once, after ~1000 tests) is the suite's cost, not a
    stall a user meets. They are frozen out of the collector for the measurement."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.mark.slow
def test_train_from_dialog_to_completion_keeps_window_responsive(
    frozen_heap, window, qtbot, tmp_path
):
    from vertapp.ml.checkpoint import load_checkpoint

    dialog = train_dialog(window, tmp_path, epochs=1)
    train, val = dialog.split()
    assert len(train) == 2 and len(val) == 1  # three patients, one for validation
    qtbot.waitExposed(dialog)
    qtbot.wait(300)  # the dialog's first paint is opening it, not training
    latency = LoopLatency()
    with qtbot.waitSignal(dialog.trained, timeout=240_000) as blocker:
        t0 = time.perf_counter()
        dialog.start()  # the click: snapshot the data, spawn the training process
        start_ms = (time.perf_counter() - t0) * 1000
        latency.start()  # from here on the model trains
    latency.stop()
    assert start_ms < 150, f"pressing Start blocked the window for {start_ms:.0f} ms"
    result = blocker.args[0]
    assert result.epochs == 1 and result.out == tmp_path / "m.pt"
    iterations = (
        dialog.last_progress.data.get("iteration") or dialog.loss_plot.series("total")[0][-1]
    )
    plot = dialog.loss_plot  # the last points land on the plot's next ticks
    qtbot.waitUntil(lambda: plot.curve_points("total") == int(iterations) >= 1, timeout=5000)
    assert plot.curve_points("loss_mask") == int(iterations)
    qtbot.waitUntil(lambda: plot.dice_points() == 1, timeout=5000)
    assert dialog.progress_bar.value() == 1000
    assert load_checkpoint(tmp_path / "m.pt").epoch == 1
    print(
        f"event loop during training: {len(latency.gaps)} ticks, GUI thread busy at most "
        f"{latency.max_busy_ms:.1f} ms between ticks; wall gap p99 {latency.p99_gap_ms:.1f} ms, "
        f"max {latency.max_gap_ms:.1f} ms (load average {os.getloadavg()[0]:.1f})"
    )
    worst = int(np.argmax(latency.busy))
    print(f"busiest tick: #{worst} at {sum(latency.gaps[:worst]) / 1000:.2f} s")
    assert len(latency.gaps) > 100
    # The issue asks for stalls < 50 ms: no tick may wait more than 50 ms for our own
    # code on the GUI thread (loss plots redraw in 2-15 ms, see loss_plot.py). Wall-clock
    # gaps also count the OS giving the cores to the training process and other jobs
    # (2 shared cores here), so for them the p99 is asserted.
    assert latency.max_busy_ms < 50.0
    assert latency.p99_gap_ms < 50.0
    # The finished model is handed to the predict panel, which runs it in a worker.
    panel = window.model_workflow.predict_panel
    assert panel.model_path.text() == str(tmp_path / "m.pt")
    panel.set_threshold(0.0)
    window.doc.set_current(1)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000) as run:
        panel.predict_current()
    assert run.args[0].model_id.startswith("m@e1:")
    assert list(run.args[0].shapes) == [1]


@pytest.mark.slow
def test_cancel_stops_and_keeps_a_loadable_checkpoint(window, qtbot, tmp_path):
    from vertapp.ml.checkpoint import load_checkpoint

    dialog = train_dialog(window, tmp_path, epochs=20)
    epochs_done = []
    dialog.start()
    dialog.worker.progress.connect(
        lambda p: epochs_done.append(p.data["epoch"]) if p.stage == "epoch" else None
    )
    qtbot.waitUntil(lambda: bool(epochs_done), timeout=240_000)
    t0 = time.perf_counter()
    with qtbot.waitSignal(dialog.worker.cancelled, timeout=60_000):
        dialog.cancel()
    stopped_s = time.perf_counter() - t0
    assert not dialog.worker.isRunning() or dialog.worker.wait(5000)
    model = tmp_path / "m.pt"
    # the best epoch so far is the model, as after a finished run (a stopped run left
    # m.best.pt and m.last.pt, and Predict took the starter); names are hidden by default:
    # the folder (often the patient's) is not shown
    assert str(Path("…") / model.name) in dialog.eta_label.text()
    assert dialog.eta_label.text().startswith("Stopped after epoch ")
    loaded = load_checkpoint(model)
    assert 0 <= loaded.epoch < 20 and 1 <= loaded.extra["epochs_trained"] < 20
    assert (tmp_path / "m.last.pt").is_file() and not (tmp_path / "m.best.pt").exists()
    assert window.model_workflow.predict_panel.model_path.text() == str(model)
    print(f"cancel took {stopped_s:.2f} s")


def fake_run(image_id: int):
    """A deterministic prediction run (the review part must not depend on training luck)."""
    from vertapp.review.prediction import PredictedShape, PredictRun

    shapes = [
        PredictedShape("T1", 0.97, [block(0)]),
        PredictedShape("T2", 0.95, [block(1)]),
        PredictedShape("T3", 0.60, [block(2)], order_changed=True, original_label="T4"),
    ]
    coco = {"images": [], "annotations": [], "categories": []}

    def factory(path, snaps, floor):
        assert [s.image_id for s in snaps] == [image_id]
        yield from ()
        return PredictRun("model@e3:abc", Path(path), {image_id: shapes}, coco, floor)

    return factory


def test_predict_review_saves_expected_coco(window, qtbot, tmp_path):
    project, pending = tiny_project(n_images=2, labelled=False)
    doc = window.doc
    doc.set_project(project, "review", pending=pending)
    doc.set_current(1)
    wf = window.model_workflow
    model = tmp_path / "model.pt"
    model.write_bytes(b"x")
    wf.predict_panel.set_model_path(model)
    wf.predict_panel._factory = fake_run(1)
    wf.predict_panel.set_threshold(0.5)
    with qtbot.waitSignal(wf.predict_panel.run_finished, timeout=10_000):
        wf.predict_panel.predict_current()
    ids = {inst.label: inst.id for inst in project.images[1].instances}
    assert sorted(ids) == ["T1", "T2", "T3"]
    assert doc.stack.count() == 1  # the whole run is one undo step
    # Threshold slider: the 0.60 prediction leaves the main view and the table at once.
    assert set(window.annot.layer.shapes) == set(ids.values())
    assert wf.marks.texts() == ["⚠ was T4"]
    wf.predict_panel.set_threshold(0.9)
    assert set(window.annot.layer.shapes) == {ids["T1"], ids["T2"]}
    assert wf.review_panel._row_ids == [ids["T1"], ids["T2"]]
    wf.predict_panel.set_threshold(0.5)
    review = wf.review_panel

    def choose(label: str) -> None:
        review.table.clearSelection()
        review.table.selectRow(review._row_ids.index(ids[label]))

    choose("T1")
    review.accept_selected()
    choose("T3")
    review.reject_selected()
    choose("T2")
    review.edit_selected()
    assert window.annot.layer.selected == ids["T2"]
    # One vertex drag through the window's polygon tool signal (what a mouse drag emits).
    window.annot.tool.vertex_moved.emit(ids["T2"], 0, 1, (50.0, 30.0))
    assert project.instance(ids["T2"]).source == "corrected"
    choose("T2")
    review.accept_selected()
    assert project.images[1].status == "completed"
    doc.save(tmp_path / "proj")

    data = json.loads((tmp_path / "proj" / "project.json").read_text())
    anns = {a["id"]: a for a in data["annotations"]}
    assert set(anns) == {ids["T1"], ids["T2"]}
    t1, t2 = anns[ids["T1"]], anns[ids["T2"]]
    assert t1["score"] == 0.97 and t1["vertapp"]["source"] == "predicted"
    assert t1["vertapp"]["reviewed"] is True and t1["vertapp"]["model_id"] == "model@e3:abc"
    assert t2["score"] == 0.95 and t2["vertapp"]["source"] == "corrected"
    assert t2["vertapp"]["model_id"] == "model@e3:abc" and t2["vertapp"]["reviewed"] is True
    assert t2["segmentation"] == [[16.0, 28.0, 50.0, 30.0, 48.0, 44.0, 16.0, 44.0]]
    assert t1["segmentation"] == [block(0).ravel().tolist()]
    status = {r["id"]: r["vertapp"]["status"] for r in data["images"]}
    assert status == {1: "completed", 2: "not_started"}

    from pycocotools.coco import COCO

    coco = COCO()
    coco.dataset = data
    coco.createIndex()
    assert len(coco.getAnnIds(imgIds=[1])) == 2


def test_shutdown_cancels_running_training(window, qtbot, tmp_path):
    project, pending = tiny_project()
    window.doc.set_project(project, "tiny", pending=pending)
    wf = window.model_workflow
    dialog = wf.open_train_dialog()
    dialog.out_path.setText(str(tmp_path / "m.pt"))

    def endless(request):
        from vertapp.jobs import Progress

        while True:
            time.sleep(0.01)
            yield Progress("train", None, data={"iteration": 1, "losses": {"a": 1.0}})

    dialog._factory = endless
    dialog.start()
    qtbot.waitUntil(lambda: dialog.last_progress is not None, timeout=5000)
    wf.shutdown()
    assert not dialog.worker.isRunning() and dialog.worker.was_cancelled


def test_model_actions_have_unique_shortcuts(window):
    from collections import Counter

    from PySide6.QtGui import QAction

    keys = Counter(
        seq.toString()
        for action in window.findChildren(QAction)
        for seq in action.shortcuts()
        if not seq.isEmpty()
    )
    review = window.model_workflow.review_actions
    assert review["accept"].shortcut().toString() == "A"
    mine = [a.shortcut().toString() for a in review.values() if not a.shortcut().isEmpty()]
    mine += ["Ctrl+T", "Ctrl+P", "Ctrl+Alt+P"]
    assert all(keys[k] == 1 for k in mine), {k: keys[k] for k in mine}
    menus = {"Alt+F", "Alt+E", "Alt+V", "Alt+M"}  # menu-bar mnemonics
    assert not menus & set(mine)
