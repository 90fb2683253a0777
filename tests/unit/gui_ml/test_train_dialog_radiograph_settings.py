"""The Train dialog of a radiograph project shows the settings its run really uses, read
from the X-ray engine's rules (`vertapp.xray.training`), and a run whose model learnt
nothing measurable ends saying so, with its numbers (audit r16, AASCE films).

It showed the CT values (short side 512, least enlargement 2.4, resize in training on)
that the radiograph run then overrode without a word, with no left-right mirror for AP
films; and a run at validation Dice 0 ended "Finished. Model saved to model.pt".
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

pytest.importorskip("pytestqt")

from tests.unit.gui_ml.test_train_dialog_radiograph import _dialog, _project  # noqa: E402
from vertapp.gui.model import jobs  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.gui.model.train_settings import RADIOGRAPH_TIP  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402
from vertapp.ml.config import CT_MIN_SCALE, TrainConfig  # noqa: E402
from vertapp.review.snapshot import snapshot  # noqa: E402
from vertapp.xray import snapshot_training  # noqa: E402
from vertapp.xray.training import radiograph_preset  # noqa: E402

SHOTS = os.environ.get("VERTAPP_H8_PNG_DIR")  # where to render the dialogs, if set
FORCED = ("min_size", "min_scale", "resize_in_training")


def _run_config(dlg: TrainDialog) -> TrainConfig:
    """What the window's radiograph run trains with the dialog's request."""
    snaps = snapshot(dlg.project, [im.image_id for im in dlg._images])  # type: ignore[attr-defined]
    return snapshot_training.radiograph_config(dlg.request().config, snaps)


def test_a_radiograph_project_shows_the_settings_its_run_uses(qtbot, tmp_path) -> None:
    dlg = _dialog(qtbot, tmp_path, radiographs=True)
    shown = dlg.settings.values()
    assert shown == {k: v for k, v in radiograph_preset("mobile").to_dict().items() if k in shown}
    assert (shown["min_size"], shown["max_size"], shown["min_scale"]) == (1024, 1024, 0.0)
    assert shown["resize_in_training"] is False
    assert shown["hflip_prob"] == 0.5  # AP films: a mirror keeps every class
    request, run = dlg.request().config.to_dict(), _run_config(dlg).to_dict()
    assert {k: v for k, v in run.items() if k != "class_names"} == {
        k: v for k, v in request.items() if k != "class_names"
    }  # nothing overridden without a word
    for name in FORCED:  # set by the run: shown greyed out, saying why
        assert not dlg.settings.widget(name).isEnabled()
        assert dlg.settings.widget(name).toolTip() == RADIOGRAPH_TIP
    assert dlg.settings.widget("hflip_prob").isEnabled()  # the user's (0 for lateral films)
    if SHOTS:
        dlg.model_box.more.setChecked(True)
        dlg.show()
        dlg.grab().save(os.path.join(SHOTS, "radiograph_settings.png"))


def test_the_sizes_follow_the_long_side_and_a_remembered_ct_run(qtbot, tmp_path) -> None:
    dlg = _dialog(qtbot, tmp_path, radiographs=True)
    dlg.settings.widget("max_size").setValue(768)  # type: ignore[attr-defined]
    assert dlg.settings.values()["min_size"] == 768
    assert _run_config(dlg).min_size == dlg.request().config.min_size == 768
    stale = {"preset": "mobile", "settings": {"min_size": 512, "min_scale": 2.4}}
    dlg.model_box.restore(stale)  # remembered before the dialog knew the radiograph rules
    assert dlg.settings.values()["min_size"] == dlg.settings.values()["max_size"]
    assert dlg.settings.values()["min_scale"] == 0.0


def test_a_ct_project_keeps_the_ct_presets(qtbot, tmp_path) -> None:
    dlg = _dialog(qtbot, tmp_path)  # radiographs=False: the CT rules, every row editable
    shown = dlg.settings.values()
    assert (shown["min_size"], shown["min_scale"], shown["hflip_prob"]) == (512, CT_MIN_SCALE, 0)
    assert all(dlg.settings.widget(name).isEnabled() for name in FORCED)


@pytest.fixture
def engine_result(monkeypatch):  # type: ignore[no-untyped-def]
    """The engine trains nothing and ends with the result set in `result`."""
    import vertapp.ml.train as engine

    result: dict[str, object] = {}

    def run(config, train, out, val_data=None, **kw):  # type: ignore[no-untyped-def]
        yield Progress("train", 1.0, "trained", {"iteration": 1, "epoch": 1})
        out.write_bytes(b"model")
        return SimpleNamespace(out=out, kept_start=False, **result)

    def no_levels(model, films):  # type: ignore[no-untyped-def]
        return
        yield

    monkeypatch.setattr(engine, "train_job", run)
    monkeypatch.setattr(snapshot_training, "_level_context", no_levels)
    monkeypatch.setattr(jobs, "run_in_process", lambda fn, *a, **_k: fn(*a))
    return result


def _finish(qtbot, dlg: TrainDialog) -> list[object]:  # type: ignore[no-untyped-def]
    ready: list[object] = []
    dlg.checkpoint_ready.connect(ready.append)
    with qtbot.waitSignal(dlg.trained, timeout=30_000):
        dlg.start()
    return ready


def test_a_run_at_dice_0_says_it_learnt_nothing_and_keeps_the_model(
    qtbot, tmp_path, engine_result
) -> None:
    engine_result.update(best_val_mean_dice=0.0, epochs=1)
    dlg = _dialog(qtbot, tmp_path, radiographs=True)
    dlg.val_fraction.setValue(0.5)  # one film each side
    assert len(dlg.request().train_ids) == len(dlg.request().val_ids) == 1
    ready = _finish(qtbot, dlg)
    assert dlg.eta_label.text() == (
        "Finished: m.pt is saved, but it learnt nothing measurable yet: best validation "
        "mean Dice 0.000 after 1 epoch on 1 training image. Train longer (more epochs) or "
        "on more labelled images before predicting with it."
    )
    assert ready == [tmp_path / "m.pt"]  # kept, and offered to Predict
    if SHOTS:
        dlg.show()
        dlg.grab().save(os.path.join(SHOTS, "dice0_end_stub.png"))


def test_a_run_without_validation_says_nothing_was_measured(qtbot, tmp_path, engine_result) -> None:
    engine_result.update(best_val_mean_dice=None, epochs=3)
    dlg = _dialog(qtbot, tmp_path, radiographs=True)
    dlg.val_fraction.setValue(0.0)
    _finish(qtbot, dlg)
    assert dlg.eta_label.text() == (
        "Finished: m.pt is saved, but nothing measured what it learnt: no validation "
        "images (3 epochs on 2 training images). Keep some patients for checking, or "
        "predict an image and look."
    )


def test_a_run_that_learnt_something_just_finishes(qtbot, tmp_path, engine_result) -> None:
    engine_result.update(best_val_mean_dice=0.41, epochs=2)
    dlg = _dialog(qtbot, tmp_path, radiographs=True)
    dlg.val_fraction.setValue(0.5)
    _finish(qtbot, dlg)
    assert dlg.eta_label.text() == "Finished. Model saved to m.pt"


def test_model_train_opens_a_radiograph_project_with_its_run_settings(qtbot, tmp_path) -> None:
    """As Model > Train… opens it from the window (the workflow says the project's kind)."""
    import pyqtgraph as pg

    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    win = MainWindow()
    win.setProperty("headless", True)
    qtbot.addWidget(win)
    workflow = install_model_workflow(win)
    win.doc.set_project(_project(tmp_path), "test")
    dlg = workflow.open_train_dialog()
    try:
        shown = dlg.settings.values()
        assert dlg.preset.currentData() == "mobile"
        assert (shown["min_size"], shown["min_scale"], shown["hflip_prob"]) == (1024, 0.0, 0.5)
    finally:
        dlg.close()
