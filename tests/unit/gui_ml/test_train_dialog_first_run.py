"""Issue #19 item 7: the train dialog as a radiologist meets it (fake jobs, no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from tests.unit.gui_ml.test_train_dialog import IMAGES, fake_train  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.review.training import load_train_settings, save_train_settings  # noqa: E402


def _dialog(qtbot, out: Path, **kw) -> TrainDialog:  # type: ignore[no-untyped-def]
    dlg = TrainDialog(IMAGES, out, fake_train(n_epochs=1, iters=1), **kw)
    qtbot.addWidget(dlg)
    return dlg


def test_few_settings_in_words_the_rest_under_advanced(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dlg = _dialog(qtbot, tmp_path / "m.pt")
    dlg.show()
    box = dlg.model_box
    assert not box.advanced.isVisible()  # engine settings hidden until asked for
    assert box.preset.currentText().startswith("Quick")
    assert box.epochs is dlg.settings.widget("epochs") and box.epochs.isVisible()
    form_labels = [
        dlg.settings._layout.labelForField(w).text()
        for name, w in dlg.settings._widgets.items()
        if name != "epochs"
    ]
    assert "val fraction" not in form_labels and "validation share" not in " ".join(form_labels)
    assert "Learning rate" in form_labels and "rpn post nms train" not in form_labels
    box.more.setChecked(True)
    assert box.advanced.isVisible()
    assert all(w.toolTip() for n, w in dlg.settings._widgets.items() if n != "epochs")


def test_settings_are_remembered_for_the_project(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    dlg = _dialog(qtbot, models / "model.pt", remember=lambda v: save_train_settings(models, v))
    dlg.set_preset("paper")
    dlg.model_box.epochs.setValue(7)
    dlg.val_fraction.setValue(0.3)
    dlg.settings.widget("lr").setValue(0.002)
    with qtbot.waitSignal(dlg.trained, timeout=10_000):
        dlg.start()
    saved = load_train_settings(models)
    assert saved["preset"] == "paper" and saved["settings"]["epochs"] == 7
    again = _dialog(qtbot, models / "model.pt", remembered=saved)
    assert again.model_box.preset_name() == "paper"
    assert again.model_box.epochs.value() == 7
    assert again.val_fraction.value() == pytest.approx(0.3)
    assert again.request().config.lr == pytest.approx(0.002)
    assert load_train_settings(tmp_path / "nowhere") == {}


@pytest.mark.parametrize("answer", ["cancel", "new", "replace"])
def test_an_existing_model_is_not_replaced_without_asking(qtbot, tmp_path, answer) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.pt"
    out.write_bytes(b"the radiologist's good model")
    dlg = _dialog(qtbot, out)
    asked: list[Path] = []
    dlg.ask_overwrite = lambda path: asked.append(path) or answer
    if answer == "cancel":
        dlg.start()
        assert not dlg.is_running()
    else:
        with qtbot.waitSignal(dlg.trained, timeout=10_000):
            dlg.start()
    assert asked == [out]
    kept = out.read_bytes() == b"the radiologist's good model"
    assert kept is (answer != "replace")
    if answer == "new":
        assert dlg.model_box.model_path() == tmp_path / "model_2.pt"
        assert (tmp_path / "model_2.pt").is_file()


def test_loss_legend_does_not_cover_the_curves(qtbot) -> None:  # type: ignore[no-untyped-def]
    from vertapp.gui.model.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 400)
    plot.show()
    for it in range(1, 50):
        plot.add_progress({"iteration": it, "losses": {"loss_mask": 1 / it, "loss_box": 2 / it}})
    plot.redraw()
    qtbot.wait(50)
    item = plot.loss_plot.getPlotItem()
    legend = item.legend
    assert legend is not None and len(legend.items) == 3  # two terms and the total
    assert not legend.sceneBoundingRect().intersects(item.vb.sceneBoundingRect())
