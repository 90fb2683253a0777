"""Closing the window or the train dialog while work runs asks first (fake jobs, no engine).

Training, a prediction or an import used to be stopped without a word when the project
had no unsaved edits. Each test answers the question both ways: "Keep running" must
leave the window open and the job running, "Stop and close" must stop it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from tests.unit.gui_ml.test_train_dialog import IMAGES  # noqa: E402
from tests.unit.review.sample import review_project  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402

Button = QMessageBox.StandardButton
EPOCHS = 3


def training_in_epoch_2(request):  # type: ignore[no-untyped-def]
    """Epoch 1 ends (its checkpoint is written), then epoch 2 runs until cancelled."""
    yield Progress("train", None, data={"iteration": 1, "epoch": 1, "losses": {"total": 1.0}})
    request.out_path.with_name("m.last.pt").write_bytes(b"epoch 1")
    yield Progress("epoch", 1 / EPOCHS, "epoch 1/3 done", {"epoch": 1})
    n = 1
    while True:
        time.sleep(0.01)
        n += 1
        yield Progress("train", None, data={"iteration": n, "epoch": 2, "losses": {"total": 1.0}})


def endless(*_args):  # type: ignore[no-untyped-def]
    while True:
        time.sleep(0.01)
        yield Progress("import", 0.1, "case1: reading the CT")


class Answers:
    """Stands in for the window's `ask`: records each question, gives the next answer."""

    def __init__(self, *answers: Button) -> None:
        self.answers = list(answers)
        self.titles: list[str] = []
        self.texts: list[str] = []

    def __call__(self, title, text, buttons, default):  # type: ignore[no-untyped-def]
        if not self.answers:
            pytest.fail(f"asked more than expected: {title}: {text}")
        self.titles.append(title)
        self.texts.append(text)
        return self.answers.pop(0)


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    return review_window(qtbot, stop_all)  # pytest-qt closes it before teardown


def review_window(qtbot, before_close):  # type: ignore[no-untyped-def]
    """A shown, headless main window with the model workflow on a small review project;
    `before_close(win)` runs when pytest-qt closes it."""
    import pyqtgraph as pg

    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    win = MainWindow()
    win.setProperty("headless", True)  # no modal question may block a test
    qtbot.addWidget(win, before_close_func=before_close)
    install_model_workflow(win)
    project = review_project()
    pending = {i: np.full((64, 64), 40 * i, np.uint8) for i in project.images}
    win.doc.set_project(project, "test", pending=pending)
    win.show()
    return win


def stop_all(win) -> None:  # type: ignore[no-untyped-def]
    """Whatever a test left running or unsaved (it may have failed half-way)."""
    win.model_workflow.shutdown(10_000)
    win.jobs.stop(10_000)
    win.doc.stack.setClean()


def start_training(window, qtbot, tmp_path: Path) -> TrainDialog:  # type: ignore[no-untyped-def]
    dialog = window.model_workflow.open_train_dialog()
    dialog.out_path.setText(str(tmp_path / "m.pt"))
    dialog.model_box.epochs.setValue(EPOCHS)
    dialog._factory = training_in_epoch_2
    dialog.start()
    qtbot.waitUntil(lambda: dialog._latest.get("epoch") == 2, timeout=5000)
    return dialog


def test_closing_the_window_asks_before_stopping_training(window, qtbot, tmp_path, monkeypatch):
    dialog = start_training(window, qtbot, tmp_path)
    ask = Answers(Button.No, Button.Yes)
    monkeypatch.setattr(window, "ask", ask)
    assert not window.close()  # "Keep running"
    assert window.isVisible() and dialog.is_running()
    assert ask.titles == ["Work still running"]
    assert ask.texts[0] == (
        "Training is running (epoch 2 of 3). Closing stops it; its last finished epoch "
        "becomes the project's model, m.pt."
    )
    time.sleep(0.05)
    assert dialog.is_running()  # kept running, not merely slow to stop
    assert window.close()  # "Stop and close"
    assert not dialog.is_running() and dialog.worker.was_cancelled
    assert (tmp_path / "m.last.pt").read_bytes() == b"epoch 1"


def test_training_stopped_before_an_epoch_ended_says_nothing_is_kept(qtbot, tmp_path):
    def first_epoch(request):  # type: ignore[no-untyped-def]
        while True:
            time.sleep(0.01)
            yield Progress("train", None, data={"iteration": 1, "epoch": 1})

    dialog = TrainDialog(IMAGES, tmp_path / "m.pt", first_epoch)
    qtbot.addWidget(dialog)
    dialog.model_box.epochs.setValue(12)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.last_progress is not None, timeout=5000)
    assert dialog.running_text() == (
        "Training is running (epoch 1 of 12). Closing stops it; no epoch has finished "
        "yet, so nothing of this run is kept."
    )
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5000)


def test_closing_the_train_dialog_asks_the_windows_way(window, qtbot, tmp_path, monkeypatch):
    dialog = start_training(window, qtbot, tmp_path)
    ask = Answers(Button.No, Button.Yes)
    monkeypatch.setattr(window, "ask", ask)
    assert not dialog.close()  # "Keep running": the dialog stays, the run goes on
    assert dialog.isVisible() and dialog.is_running()
    assert ask.titles == ["Work still running"] and "epoch 2 of 3" in ask.texts[0]
    assert dialog.close()  # "Stop and close"
    assert not dialog.is_running() and dialog.worker.was_cancelled
    assert window.isVisible()  # the dialog's close is not the window's


def test_a_train_dialog_of_its_own_asks_too(qtbot, tmp_path):
    dialog = TrainDialog(IMAGES, tmp_path / "m.pt", training_in_epoch_2)
    qtbot.addWidget(dialog)
    dialog.show()
    asked: list[str] = []
    dialog.ask_stop = lambda text: asked.append(text) or False
    dialog.start()
    qtbot.waitUntil(lambda: dialog._latest.get("epoch") == 2, timeout=5000)
    assert not dialog.close() and dialog.is_running()
    assert asked and "becomes the project's model, m.pt" in asked[0]
    dialog.ask_stop = lambda text: True
    assert dialog.close() and not dialog.is_running()


def test_closing_the_window_asks_before_stopping_a_prediction(window, qtbot, tmp_path, monkeypatch):
    panel = window.model_workflow.predict_panel
    model = tmp_path / "m.pt"
    model.write_bytes(b"x")
    panel.set_model_path(model)
    panel._factory = endless
    panel.predict_all()
    qtbot.waitUntil(panel.is_running, timeout=5000)
    ask = Answers(Button.No, Button.Yes)
    monkeypatch.setattr(window, "ask", ask)
    assert not window.close() and window.isVisible() and panel.is_running()
    assert ask.texts == ["A prediction is running; closing stops it and its results are lost."]
    assert window.close()
    assert not panel.is_running() and panel.worker.was_cancelled


def test_closing_the_window_asks_before_stopping_an_import(window, qtbot, monkeypatch):
    window.jobs.run(endless, "Importing case1…", lambda _result: None)
    qtbot.waitUntil(lambda: window.progress.label.text() == "case1: reading the CT", timeout=5000)
    ask = Answers(Button.No, Button.Yes)
    monkeypatch.setattr(window, "ask", ask)
    assert not window.close() and window.busy()
    assert "(case1: reading the CT)" in ask.texts[0] and "an import adds nothing" in ask.texts[0]
    assert window.close() and not window.busy()


def test_reading_a_source_ct_for_viewing_is_stopped_without_asking(window, qtbot, monkeypatch):
    window.jobs.run(endless, "Reading ct.nii.gz", lambda _result: None)
    window.images.ct_loading = True  # what ImageController sets for its CT reads
    monkeypatch.setattr(window, "ask", Answers())  # any question fails the test
    assert window.close() and not window.busy()


def test_nothing_running_closes_without_asking(window, monkeypatch):
    monkeypatch.setattr(window, "ask", Answers())  # any question fails the test
    assert window.close()


def test_keep_running_leaves_unsaved_edits_unasked_and_a_cancel_stops_nothing(
    window, qtbot, tmp_path, monkeypatch
):
    dialog = start_training(window, qtbot, tmp_path)
    window.doc.stack.resetClean()  # unsaved edits
    ask = Answers(Button.No)
    monkeypatch.setattr(window, "ask", ask)
    assert not window.close()
    assert ask.titles == ["Work still running"]  # the edits question is not asked then
    ask = Answers(Button.Yes, Button.Cancel)  # stop and close, then Cancel at the edits
    monkeypatch.setattr(window, "ask", ask)
    assert not window.close()
    assert ask.titles == ["Work still running", "Unsaved edits"]
    assert window.isVisible() and dialog.is_running()  # nothing stopped: nothing closed


def test_headless_close_stops_the_work_as_before(window, qtbot, tmp_path):
    dialog = start_training(window, qtbot, tmp_path)
    assert window.close()  # unattended: no one could close it later
    assert not dialog.is_running() and dialog.worker.was_cancelled


def test_the_question_names_its_answers_and_enter_keeps_running(window):
    from PySide6.QtCore import QTimer

    from vertapp.gui.window.main_window import ask_in_words

    seen: dict[str, object] = {}

    def press_enter_when_shown() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press_enter_when_shown)
            return
        seen["buttons"] = sorted(b.text() for b in box.buttons())
        seen["default"] = box.defaultButton().text()
        box.defaultButton().click()  # what Enter does

    QTimer.singleShot(20, press_enter_when_shown)
    words = {Button.Yes: "Stop and close", Button.No: "Keep running"}
    answer = ask_in_words(window, "Work still running", "Training is running.", words)
    assert seen == {"buttons": ["Keep running", "Stop and close"], "default": "Keep running"}
    assert answer == Button.No
