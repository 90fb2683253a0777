"""Train dialog driven by fake job generators (no engine, no torch training)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from vertapp.errors import ModelError  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402
from vertapp.review.snapshot import DataImage, split_by_patient  # noqa: E402
from vertapp.review.training import TrainRequest  # noqa: E402

IMAGES = [
    DataImage(1, "a_view1", "patA", 5),
    DataImage(2, "a_view2", "patA", 6),
    DataImage(3, "b_view1", "patB", 4),
    DataImage(4, "c_view1", "patC", 7),
    DataImage(5, "empty", "patD", 0),
]


def fake_train(n_epochs: int = 3, iters: int = 4, delay: float = 0.0):
    def factory(request: TrainRequest):
        it = 0
        for epoch in range(1, n_epochs + 1):
            for _ in range(iters):
                it += 1
                if delay:
                    time.sleep(delay)
                losses = {"loss_classifier": 1.0 / it, "loss_mask": 0.5 / it}
                yield Progress(
                    "train",
                    it / (n_epochs * iters),
                    data={
                        "iteration": it,
                        "epoch": epoch,
                        "losses": losses,
                        "lr": 0.01,
                        "images_per_s": 3.0,
                        "eta_s": 12.0,
                    },
                )
            request.out_path.write_bytes(b"checkpoint")
            yield Progress(
                "validate",
                it / (n_epochs * iters),
                data={"iteration": it, "epoch": epoch, "val_mean_dice": 0.2 * epoch},
            )
        return {"checkpoint": str(request.out_path)}

    return factory


def test_split_keeps_patients_together() -> None:
    train, val = split_by_patient(IMAGES[:4], 0.34, seed=1)
    assert sorted(train + val) == [1, 2, 3, 4]
    assert len(val) >= 1 and len(train) >= 1
    # Both images of patient A land on the same side.
    assert ({1, 2} <= set(train)) or ({1, 2} <= set(val))


def test_dialog_trains_and_plots(qtbot, tmp_path: Path) -> None:
    dlg = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dlg)
    # The unlabelled image starts unticked; the split covers the four others.
    train, val = dlg.split()
    assert sorted(train + val) == [1, 2, 3, 4]
    assert dlg.preset.currentData() == "fast"
    with qtbot.waitSignal(dlg.trained, timeout=10_000) as blocker:
        dlg.start()
    assert blocker.args[0] == {"checkpoint": str(tmp_path / "m.pt")}
    plot = dlg.loss_plot  # the last points land on the plot's next ticks
    qtbot.waitUntil(lambda: plot.curve_points("total") == 12 and plot.dice_points() == 3)
    assert plot.curve_points("loss_classifier") == 12
    assert dlg.progress_bar.value() == 1000
    assert "Finished" in dlg.eta_label.text()


def test_preset_fills_settings(qtbot, tmp_path: Path) -> None:
    dlg = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dlg)
    dlg.set_preset("paper")
    assert dlg.backbone.currentText() == "resnet101"
    assert dlg.settings.values()["lr"] == pytest.approx(0.001)
    assert dlg.settings.values()["batch_size"] == 5
    dlg.settings.widget("epochs").setValue(2)
    req = dlg.request()
    assert req.config.epochs == 2 and req.config.backbone == "resnet101"


def test_ticking_an_image_in_review_says_what_it_teaches(qtbot, tmp_path: Path) -> None:
    images = [*IMAGES[:4], DataImage(6, "in_review", "patE", 2, n_pending=5)]
    dlg = TrainDialog(images, tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dlg)
    assert "review" not in dlg.split_label.text()  # starts unticked: nothing to warn of
    dlg.table.item(4, 0).setCheckState(Qt.CheckState.Checked)
    assert "1 ticked image(s) still hold 5 prediction(s)" in dlg.split_label.text()
    assert "learnt as background" in dlg.split_label.text()
    dlg.table.item(4, 0).setCheckState(Qt.CheckState.Unchecked)
    assert "review" not in dlg.split_label.text()


def test_empty_data_and_missing_weights_are_sentences(qtbot, tmp_path: Path) -> None:
    dlg = TrainDialog(IMAGES[4:], tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dlg)
    dlg.start()
    assert not dlg.is_running()
    assert "No training data" in dlg.error_label.text()
    dlg2 = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dlg2)
    dlg2.weights.setText(str(tmp_path / "missing.pth"))
    dlg2.start()
    assert "weights file not found" in dlg2.error_label.text()


def test_names_hidden_the_weights_field_shows_no_folders(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Pretrained weights showed the picked file's whole path while the model field beside
    it said "…/model.pt"; the error for a missing file too."""
    from PySide6.QtWidgets import QFileDialog

    from vertapp.review.hidden_paths import FOLDER

    weights = tmp_path / "DOE_JOHN" / "backbone.pth"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(weights), ""))
    dlg = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train(), names_hidden=True)
    qtbot.addWidget(dlg)
    dlg.model_box._pick_weights()
    assert dlg.weights.text() == f"{FOLDER}/backbone.pth"
    assert dlg.model_box.weights_path() == str(weights)
    assert dlg.model_box.remembered(0.2)["weights"] == str(weights)
    dlg.start()  # the file is not there: said without its folders
    assert "weights file not found" in dlg.error_label.text()
    assert "DOE_JOHN" not in dlg.error_label.text()
    dlg.set_names_hidden(False)
    assert dlg.weights.text() == str(weights)
    dlg.set_names_hidden(True)
    assert dlg.weights.text() == f"{FOLDER}/backbone.pth"


def test_engine_error_shown_in_words(qtbot, tmp_path: Path) -> None:
    def bad(request: TrainRequest):
        yield Progress("load")
        raise ModelError("weights.pth: not a PyTorch state dict")

    dlg = TrainDialog(IMAGES, tmp_path / "m.pt", bad)
    qtbot.addWidget(dlg)
    dlg.start()
    qtbot.waitUntil(lambda: not dlg.is_running() and dlg.error_label.isVisibleTo(dlg), timeout=5000)
    assert dlg.error_label.text() == "weights.pth: not a PyTorch state dict"
    assert dlg.start_button.isEnabled()


def test_cancel_keeps_checkpoint(qtbot, tmp_path: Path) -> None:
    dlg = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train(n_epochs=50, delay=0.01))
    qtbot.addWidget(dlg)
    dlg.start()
    qtbot.waitUntil(lambda: (tmp_path / "m.pt").exists(), timeout=5000)
    with qtbot.waitSignal(dlg.worker.cancelled, timeout=5000):
        dlg.cancel()
    assert "last checkpoint is kept" in dlg.eta_label.text()
    assert dlg.result is None


def test_what_the_run_leaves_out_stays_in_view_under_the_progress(qtbot, tmp_path: Path) -> None:
    """The engine sends it once, as a "load" event: shown as the progress line, it was
    replaced a tenth of a second later. It stays until the next run starts."""
    from vertapp.jobs import WARNINGS

    said = ["2 annotations of category 'body' left out of training: vertebra level unknown"]
    trained = fake_train(n_epochs=1)

    def factory(request: TrainRequest):
        yield Progress("load", None, "; ".join(said), {WARNINGS: said})
        return (yield from trained(request))

    dlg = TrainDialog(IMAGES, tmp_path / "m.pt", factory)
    qtbot.addWidget(dlg)
    assert dlg.data_warnings.isHidden()
    with qtbot.waitSignal(dlg.trained, timeout=10_000):
        dlg.start()
    assert not dlg.data_warnings.isHidden() and dlg.data_warnings.lines == said
    assert "Check the training data" in dlg.data_warnings.label.text()
    assert "left out" not in dlg.eta_label.text()  # not one long progress line
    dlg._factory = fake_train(n_epochs=1)  # the next run leaves nothing out: the strip goes
    dlg.ask_overwrite = lambda _path: "replace"
    with qtbot.waitSignal(dlg.trained, timeout=10_000):
        dlg.start()
    assert dlg.data_warnings.isHidden()
