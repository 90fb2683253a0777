"""The Train dialog of a CT project says what the run leaves out (the engine stubbed).

An outline labelled C7, L6 or "vertebra" in a T1..L5 project was skipped by the window's
run without a word, where `vertapp train` said it; the window's own job factory now sends
the same sentences, and the dialog keeps them in its strip under the progress.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

pytest.importorskip("pytestqt")

from tests.unit.review.test_left_out import SAID, mip_project, pixels  # noqa: E402
from vertapp.gui.model import jobs  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402
from vertapp.review.snapshot import data_images  # noqa: E402

SCREENSHOT = os.environ.get("VERTAPP_LEFT_OUT_PNG")  # where to render the dialog, if set


def test_an_out_of_class_outline_is_said_in_the_dialog_strip(qtbot, tmp_path, monkeypatch):
    import vertapp.ml.train as engine

    def no_training(config, train, out, val_data=None, **kw):  # the engine is not the point
        yield Progress("train", 1.0, "trained", {"iteration": 1, "epoch": 1})
        return SimpleNamespace(out=out)

    monkeypatch.setattr(engine, "train_job", no_training)
    # the window's own factory (snapshots, routing), its job run here, not in a child
    monkeypatch.setattr(jobs, "run_in_process", lambda fn, *a, **_k: fn(*a))
    project = mip_project()
    dlg = TrainDialog(
        data_images(project),
        tmp_path / "m.pt",
        jobs.project_train_factory(project, pixels(project)),
        class_names=list(project.labels),
    )
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.data_warnings.isHidden()
    with qtbot.waitSignal(dlg.trained, timeout=30_000):
        dlg.start()
    assert not dlg.data_warnings.isHidden() and dlg.data_warnings.lines == SAID
    text = dlg.data_warnings.label.text()
    assert "Check the training data" in text
    assert "3 annotations of category &#x27;C7&#x27; left out of training" in text
    assert "Doe" not in text  # images by id: file names may carry the patient's
    if SCREENSHOT:
        dlg.grab().save(SCREENSHOT)
