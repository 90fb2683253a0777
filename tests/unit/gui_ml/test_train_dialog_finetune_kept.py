"""Fine-tuning the starter: every setting the fine-tune keeps from it is greyed out and
shows the starter's value, and only what the run uses is remembered (fake jobs).

Only architecture, backbone, weights and score threshold used to be greyed out: image
size, detections per image, box head width ... were accepted and silently ignored (the
saved model had the starter's), and train_settings.json remembered the ignored values.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from tests.unit.gui_ml.test_train_dialog import IMAGES, fake_train  # noqa: E402
from tests.unit.ml.tiny_starter import training_checkpoint  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.gui.model.train_settings import STARTER_TIP  # noqa: E402
from vertapp.ml.checkpoint import read_checkpoint, stored_config  # noqa: E402
from vertapp.ml.config import MODEL_FIELDS, finetune_kept, preset  # noqa: E402
from vertapp.review.training import load_train_settings, save_train_settings  # noqa: E402

# what the tiny starter has that the fast preset has not (so a wrong value shows)
STARTER = dict(
    min_size=160,
    max_size=200,
    detections_per_img=7,
    box_head_width=48,
    frozen_bn=False,
    score_thresh=0.35,
)


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    return training_checkpoint(tmp_path / "starter-ct.pt", **STARTER)


def dialog(qtbot, tmp_path: Path, starter: Path, **kw) -> TrainDialog:  # type: ignore[no-untyped-def]
    dlg = TrainDialog(
        IMAGES, tmp_path / "models" / "model.pt", fake_train(1, 1), starter=starter, **kw
    )
    qtbot.addWidget(dlg)
    return dlg


def kept_in_form(dlg: TrainDialog, starter: Path) -> dict[str, object]:
    kept = finetune_kept(stored_config(read_checkpoint(starter), starter))
    return {k: v for k, v in kept.items() if k in dlg.settings.values()}


def test_every_setting_the_fine_tune_keeps_is_greyed_out_and_shows_the_starters(
    qtbot, tmp_path, starter
) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog(qtbot, tmp_path, starter)
    assert dlg.model_box.start_from() == starter
    kept = kept_in_form(dlg, starter)
    # the command line's rule (a --set of a MODEL_FIELDS name trains from scratch) and the
    # dialog's greyed rows are one list
    assert {k for k in MODEL_FIELDS if k in dlg.settings.values()} <= set(kept)
    assert {"min_size", "max_size", "detections_per_img", "box_head_width"} <= set(kept)
    assert sorted(dlg.settings.held()) == sorted(kept)
    values = dlg.settings.values()
    for name, value in kept.items():
        widget = dlg.settings.widget(name)
        assert not widget.isEnabled(), name
        assert widget.toolTip() == STARTER_TIP
        assert not dlg.settings._layout.labelForField(widget).isEnabled(), name
        assert values[name] == (pytest.approx(value) if isinstance(value, float) else value), name
    assert not dlg.model_box.weights_browse.isEnabled()  # no file to pick for the starter
    for name in ("lr", "batch_size", "views_per_image", "seed"):  # the run's own settings
        assert dlg.settings.widget(name).isEnabled(), name
    assert dlg.model_box.epochs.isEnabled()
    config = dlg.request().config  # what the dialog asks for is what the engine trains
    assert (config.min_size, config.detections_per_img, config.box_head_width) == (160, 7, 48)


def test_a_new_model_gets_its_own_settings_back(qtbot, tmp_path, starter) -> None:  # type: ignore[no-untyped-def]
    dlg = dialog(qtbot, tmp_path, starter)
    box = dlg.model_box
    box.start.setCurrentIndex(box.start.findData("scratch"))
    fast = preset("fast")
    values = dlg.settings.values()
    assert (values["min_size"], values["box_head_width"]) == (fast.min_size, fast.box_head_width)
    assert values["score_thresh"] == pytest.approx(fast.score_thresh)
    assert dlg.settings.held() == [] and box.weights_browse.isEnabled()
    assert dlg.settings.widget("min_size").isEnabled()
    assert dlg.settings.widget("min_size").toolTip() != STARTER_TIP
    dlg.settings.widget("min_size").setValue(256)  # chosen for a new model ...
    box.start.setCurrentIndex(box.start.findData("starter"))
    assert dlg.settings.values()["min_size"] == 160  # ... the starter's while it is in play
    dlg.set_preset("paper")  # a preset chosen meanwhile: the starter's still shown
    assert dlg.settings.values()["min_size"] == 160
    box.start.setCurrentIndex(box.start.findData("scratch"))
    assert dlg.settings.values()["min_size"] == preset("paper").min_size


def test_only_what_the_run_used_is_remembered(qtbot, tmp_path, starter) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    dlg = dialog(qtbot, tmp_path, starter, remember=lambda v: save_train_settings(models, v))
    dlg.model_box.epochs.setValue(5)
    with qtbot.waitSignal(dlg.trained, timeout=10_000):
        dlg.start()
    saved = load_train_settings(models)
    assert saved["start"] == "starter" and saved["settings"]["epochs"] == 5
    kept = kept_in_form(dlg, starter)
    assert not set(kept) & set(saved["settings"]), "the starter's values are no choice"
    # reopened (and remembered from an older file that held them): the starter's again
    old = {**saved, "settings": {**saved["settings"], "min_size": 999, "detections_per_img": 3}}
    again = dialog(qtbot, tmp_path, starter, remembered=old)
    assert again.settings.values()["min_size"] == 160
    assert again.settings.values()["detections_per_img"] == 7
    assert again.model_box.epochs.value() == 5
    again.model_box.start.setCurrentIndex(again.model_box.start.findData("scratch"))
    assert again.settings.values()["min_size"] == 999  # the user's own, for a new model


def test_an_optional_switch_reads_back(qtbot, tmp_path, starter) -> None:  # type: ignore[no-untyped-def]
    """The starter's frozen_bn (False) in the optional field: "A setting is not a number"."""
    dlg = dialog(qtbot, tmp_path, starter)
    assert dlg.settings.values()["frozen_bn"] is False
    dlg.model_box.start.setCurrentIndex(dlg.model_box.start.findData("scratch"))
    dlg.settings.widget("frozen_bn").setText("true")
    assert dlg.request().config.frozen_bn is True
