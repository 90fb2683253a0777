"""A training run stopped before its end (Cancel, closing the dialog or the window) keeps
its best epoch so far as the model, as a finished run would (fake jobs writing the
engine's checkpoint files; no training).

It left models/model.best.pt and model.last.pt but no model.pt; the dialog and the close
question named only model.last.pt (the worse one), and after reopening Predict took the
starter ("this project has no model of its own").
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch

pytest.importorskip("pytestqt")

from tests.unit.gui_ml.test_close_running_jobs import review_window, stop_all  # noqa: E402
from tests.unit.gui_ml.test_train_dialog import IMAGES  # noqa: E402
from vertapp.gui.model.train_dialog import CANCELLING, TrainDialog  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402
from vertapp.ml.checkpoint import save_checkpoint  # noqa: E402
from vertapp.ml.train import checkpoint_paths  # noqa: E402

EPOCHS = 5
DICE = {1: 0.6, 2: 0.4}  # epoch 1 is the best; epoch 2 the last finished one


def engine_like(request):  # type: ignore[no-untyped-def]
    """Epochs 1 and 2 end as the engine ends them (last file each epoch, best file when the
    validation Dice improves; none without validation images), then epoch 3 runs on."""
    last, best = checkpoint_paths(request.out_path)
    top = None
    for epoch in (1, 2):
        yield Progress("train", None, data={"iteration": epoch, "epoch": epoch, "losses": {}})
        dice = DICE[epoch] if request.val_ids else None
        improved = dice is not None and (top is None or dice > top)
        top = dice if improved else top
        state = {
            "arch": "maskrcnn",
            "model": {"w": torch.full((2,), float(epoch))},
            "epoch": epoch,
            "config": {},
            "best_val_mean_dice": top,
        }
        save_checkpoint(last, state)
        if improved:
            save_checkpoint(best, state)
        yield Progress("epoch", epoch / EPOCHS, data={"epoch": epoch, "val_mean_dice": dice})
    n = 2
    while True:
        time.sleep(0.01)
        n += 1
        yield Progress("train", None, data={"iteration": n, "epoch": 3, "losses": {}})


class SlowIteration:
    """A run whose second iteration lasts until `done` is set: a Cancel waits for it."""

    def __init__(self) -> None:
        self.done = threading.Event()

    def __call__(self, request):  # type: ignore[no-untyped-def]
        for n in (1, 2):
            yield Progress(
                "train",
                0.1,
                data={"iteration": n, "epoch": 1, "losses": {"total": 1.0}, "eta_s": 3600.0},
            )
            if n == 1:
                self.done.wait(10)


def running(qtbot, out: Path, job=engine_like, **kw) -> TrainDialog:  # type: ignore[no-untyped-def]
    dialog = TrainDialog(IMAGES, out, job, **kw)
    qtbot.addWidget(dialog)
    dialog.model_box.epochs.setValue(EPOCHS)
    dialog.start()
    qtbot.waitUntil(lambda: dialog._latest.get("epoch") == 3, timeout=10_000)
    return dialog


def stop(qtbot, dialog: TrainDialog) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.worker.cancelled, timeout=10_000):
        dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5000)


def weights_of(path: Path) -> dict:  # type: ignore[type-arg]
    return torch.load(path, map_location="cpu", weights_only=True)


def test_cancel_makes_the_best_epoch_so_far_the_model(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.pt"
    dialog = running(qtbot, out, names_hidden=False)
    assert dialog.running_text().endswith(
        "Closing stops it; its best epoch so far becomes the project's model, model.pt."
    )
    ready: list[Path] = []
    dialog.checkpoint_ready.connect(ready.append)
    stop(qtbot, dialog)
    saved = weights_of(out)
    assert saved["epoch"] == 1 and float(saved["model"]["w"][0]) == 1.0  # the best, not the last
    assert saved["epochs_trained"] == 2 and saved["best_val_mean_dice"] == pytest.approx(0.6)
    last, best = checkpoint_paths(out)
    assert not best.exists(), "now the model, as after a finished run"
    assert weights_of(last)["epoch"] == 2  # kept
    assert dialog.eta_label.text() == (
        f"Stopped after epoch 2 of {EPOCHS}. Its best epoch so far (epoch 1, validation mean "
        f"Dice 0.600) is now the model, saved as {out}; the last finished epoch stays in "
        "model.last.pt."
    )
    assert ready == [out]


def test_without_validation_images_the_last_epoch_is_the_model(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.pt"
    dialog = TrainDialog(IMAGES, out, engine_like)
    qtbot.addWidget(dialog)
    dialog.val_fraction.setValue(0.0)
    dialog.model_box.epochs.setValue(EPOCHS)
    dialog.start()
    qtbot.waitUntil(lambda: dialog._latest.get("epoch") == 3, timeout=10_000)
    assert "its last finished epoch becomes the project's model" in dialog.running_text()
    stop(qtbot, dialog)
    assert weights_of(out)["epoch"] == 2
    assert "Its last finished epoch is now the model, saved as …/model.pt" in (
        dialog.eta_label.text()
    )


def test_an_earlier_model_is_kept_and_the_words_say_where_the_run_is(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.pt"
    out.write_bytes(b"the radiologist's good model")
    dialog = TrainDialog(IMAGES, out, engine_like)
    qtbot.addWidget(dialog)
    dialog.ask_overwrite = lambda _path: "replace"
    dialog.model_box.epochs.setValue(EPOCHS)
    dialog.start()
    qtbot.waitUntil(lambda: dialog._latest.get("epoch") == 3, timeout=10_000)
    assert dialog.running_text().endswith(
        "the earlier model.pt stays the project's model and this run's best epoch so far "
        "stays in model.best.pt."
    )
    stop(qtbot, dialog)
    assert out.read_bytes() == b"the radiologist's good model"
    assert weights_of(checkpoint_paths(out)[1])["epoch"] == 1
    assert dialog.eta_label.text() == (
        f"Stopped after epoch 2 of {EPOCHS}. The earlier model.pt stays the project's model "
        "(this run did not finish); this run's best epoch so far is kept in model.best.pt "
        "(Predict: Browse… to try it)."
    )


def test_closing_the_dialog_keeps_the_best_epoch_too(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.pt"
    dialog = running(qtbot, out)
    dialog.show()
    dialog.ask_stop = lambda _text: True
    assert dialog.close()
    assert weights_of(out)["epoch"] == 1


def test_closing_the_window_keeps_it_and_predict_then_uses_it(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = review_window(qtbot, stop_all)
    window.doc.project.root = tmp_path
    workflow = window.model_workflow
    dialog = workflow.open_train_dialog()
    dialog.model_box.epochs.setValue(EPOCHS)
    dialog._factory = engine_like
    dialog.start()
    qtbot.waitUntil(lambda: dialog._latest.get("epoch") == 3, timeout=10_000)
    assert "becomes the project's model, model.pt" in workflow.running_work()[0]
    window.doc.stack.setClean()
    validated = bool(dialog._request.val_ids)
    assert window.close()  # headless: stopped without a question
    model = tmp_path / "models" / "model.pt"
    assert weights_of(model)["epoch"] == (1 if validated else 2)  # the best, else the last
    assert workflow.default_model() == (model, "this project's model", "")


def test_cancelling_is_said_until_the_run_ends(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """cancel() wrote its words; the 10 Hz refresh put the old time left back at once, and
    Cancel stayed pressable while the iteration under way ended."""
    job = SlowIteration()
    dialog = TrainDialog(IMAGES, tmp_path / "model.pt", job)
    qtbot.addWidget(dialog)
    dialog.start()
    qtbot.waitUntil(lambda: "left" in dialog.eta_label.text(), timeout=5000)
    dialog.cancel()
    qtbot.wait(400)  # refresh ticks while the iteration under way goes on
    assert dialog.is_running()
    assert dialog.eta_label.text() == CANCELLING
    assert not dialog.cancel_button.isEnabled()
    job.done.set()  # the iteration ends: the run stops at its next step
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5000)
    assert dialog.eta_label.text() != CANCELLING  # the end is said
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_predict_says_where_an_older_stopped_run_left_its_epochs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A run stopped before this fix (or whose file was unreadable) left no model.pt:
    Predict takes the starter, and says where the run's epochs are."""
    from vertapp.gui.model.workflow import no_model_words

    models = tmp_path / "models"
    models.mkdir()
    assert no_model_words(tmp_path) == "this project has no model of its own"
    (models / "model.best.pt").write_bytes(b"a fine-tune's start, scored")
    assert no_model_words(tmp_path) == "this project has no model of its own"  # the starter
    (models / "model.last.pt").write_bytes(b"epoch 2")
    assert no_model_words(tmp_path) == (
        "this project has no model of its own; Browse… to use the model.best.pt a stopped "
        "training run left in its models folder"
    )
    assert no_model_words(None) == "this project has no model of its own"
