"""A fine-tune whose epochs never beat its start ends saying so in the Train dialog (the
model file then holds the start's weights: `vertapp.ml.train.TrainResult.kept_start`)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("pytestqt")

from tests.unit.gui_ml.test_train_dialog_table import _dialog  # noqa: E402
from vertapp.gui.model import jobs  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402


def _finish(qtbot, tmp_path, monkeypatch, **result):  # type: ignore[no-untyped-def]
    import vertapp.ml.train as engine

    def run(config, train, out, val_data=None, **kw):  # type: ignore[no-untyped-def]
        yield Progress("train", 1.0, "trained", {"iteration": 1, "epoch": 1})
        return SimpleNamespace(out=out, **result)

    monkeypatch.setattr(engine, "train_job", run)
    monkeypatch.setattr(jobs, "run_in_process", lambda fn, *a, **_k: fn(*a))
    dlg = _dialog(qtbot, tmp_path)
    with qtbot.waitSignal(dlg.trained, timeout=30_000):
        dlg.start()
    return dlg.eta_label.text()


def test_a_kept_start_is_said_when_the_run_ends(qtbot, tmp_path, monkeypatch) -> None:
    text = _finish(qtbot, tmp_path, monkeypatch, kept_start=True, best_val_mean_dice=0.8)
    assert text.startswith("Finished: no epoch beat the start on the validation images")
    assert "(validation mean Dice 0.800): m.pt holds the start's weights" in text


def test_a_run_that_beat_its_start_just_finishes(qtbot, tmp_path, monkeypatch) -> None:
    text = _finish(qtbot, tmp_path, monkeypatch, kept_start=False, best_val_mean_dice=0.8)
    assert text == "Finished. Model saved to m.pt"
