"""A new training run never silently replaces the checkpoint an earlier run kept.

A cancelled run leaves only `model.last.pt` (the dialog says it is kept); a new run with
the same output rewrites that file every epoch. It must be asked about like an existing
`model.pt`, and "save as" must pick a name none of whose files exist.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from tests.unit.gui_ml.test_train_dialog import IMAGES, fake_train  # noqa: E402
from vertapp.gui.model.overwrite import (  # noqa: E402
    ask_overwrite,
    free_model_path,
    overwrite_question,
    run_files,
)
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.review.training import last_checkpoint  # noqa: E402

KEPT = b"epoch 40 of a 5-hour run (cancelled)"


def dialog(qtbot, out: Path) -> TrainDialog:  # type: ignore[no-untyped-def]
    dlg = TrainDialog(IMAGES, out, fake_train(n_epochs=1, iters=1))
    qtbot.addWidget(dlg)
    return dlg


def test_the_files_checked_are_the_ones_the_engine_writes(tmp_path):
    out = tmp_path / "model.pt"
    assert last_checkpoint(out) in run_files(out)
    assert [p.name for p in run_files(out)] == ["model.pt", "model.last.pt", "model.best.pt"]


@pytest.mark.parametrize("answer", ["cancel", "new", "replace"])
def test_a_kept_last_checkpoint_is_asked_about(qtbot, tmp_path, answer):
    out = tmp_path / "model.pt"
    last = tmp_path / "model.last.pt"
    last.write_bytes(KEPT)
    dlg = dialog(qtbot, out)
    asked: list[Path] = []
    dlg.ask_overwrite = lambda path: asked.append(path) or answer
    if answer == "cancel":
        dlg.start()
        assert not dlg.is_running()
    else:
        with qtbot.waitSignal(dlg.trained, timeout=10_000):
            dlg.start()
    assert asked == [out]
    assert dlg.model_box.model_path() == tmp_path / (
        "model_2.pt" if answer == "new" else "model.pt"
    )
    if answer != "replace":  # "replace" is the one answer that lets a run overwrite it
        assert last.read_bytes() == KEPT


def test_no_earlier_files_no_question(qtbot, tmp_path):
    dlg = dialog(qtbot, tmp_path / "model.pt")
    dlg.ask_overwrite = lambda path: pytest.fail(f"asked about {path}")
    with qtbot.waitSignal(dlg.trained, timeout=10_000):
        dlg.start()


def test_save_as_skips_names_whose_checkpoints_exist(qtbot, tmp_path):
    out = tmp_path / "model.pt"
    out.write_bytes(b"the radiologist's good model")
    (tmp_path / "model_2.last.pt").write_bytes(KEPT)  # a stopped run saved as model_2
    (tmp_path / "model_3.best.pt").write_bytes(KEPT)
    assert free_model_path(out) == tmp_path / "model_4.pt"
    dlg = dialog(qtbot, out)
    dlg.ask_overwrite = lambda path: "new"
    with qtbot.waitSignal(dlg.trained, timeout=10_000):
        dlg.start()
    assert dlg.model_box.model_path() == tmp_path / "model_4.pt"
    assert (tmp_path / "model_2.last.pt").read_bytes() == KEPT


def test_the_question_says_which_file_would_be_replaced(tmp_path):
    out = tmp_path / "model.pt"
    (tmp_path / "model.last.pt").write_bytes(KEPT)
    assert overwrite_question(out) == (
        "model.last.pt already holds the last saved epoch of an earlier training run. "
        "Replace it, or save this run as model_2.pt?"
    )
    out.write_bytes(b"model")
    assert overwrite_question(out) == (
        "model.pt already holds a trained model. Replace it, or save this run as model_2.pt?"
    )


def test_the_save_as_button_offers_the_free_name(qtbot, tmp_path):
    from PySide6.QtCore import QTimer

    out = tmp_path / "model.pt"
    (tmp_path / "model.last.pt").write_bytes(KEPT)
    (tmp_path / "model_2.last.pt").write_bytes(KEPT)
    seen: list[str] = []

    def click_save_as_when_shown() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click_save_as_when_shown)
            return
        seen.extend(b.text() for b in box.buttons())
        box.defaultButton().click()

    QTimer.singleShot(20, click_save_as_when_shown)
    assert ask_overwrite(None, out) == "new"  # type: ignore[arg-type]
    assert "Save as model_3.pt" in seen
