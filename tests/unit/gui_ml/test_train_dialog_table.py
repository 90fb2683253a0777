"""The Train dialog's image table: neutral names while names are hidden, counts of what
the run trains on, and no new run while the window's project is read-only.

The table showed "Doe_Jane_1.png" and its patient key with View > Hide names and paths
on; its "Vertebrae" counted a C7 outline that a T1..L5 run leaves out; and its Start
stayed enabled in a window whose project another window holds. Beside it, "Save the model
as" showed the project folder (".../Doe_Jane/models/model.pt") and a radiograph project's
preset read "mobile", a code name.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QScrollArea  # noqa: E402

from tests.unit.gui_ml.test_train_dialog_radiograph import _project as film_project  # noqa: E402
from tests.unit.review.test_left_out import mip_project, pixels  # noqa: E402
from vertapp.gui.model import jobs  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.gui.model.workflow import default_preset  # noqa: E402
from vertapp.gui.widgets.read_only_bar import LOCKED_TIP  # noqa: E402
from vertapp.jobs import Progress  # noqa: E402
from vertapp.labels import VERTEBRAE  # noqa: E402
from vertapp.review import training  # noqa: E402
from vertapp.review.snapshot import data_images  # noqa: E402
from vertapp.xray.snapshot_training import has_class  # noqa: E402
from vertapp.xray.training import unclassed_sentence  # noqa: E402

SCREENSHOT = os.environ.get("VERTAPP_TRAIN_TABLE_PNG")  # where to render the dialog, if set
PRIVACY_SHOT = os.environ.get("VERTAPP_PRIVACY_DIALOG_PNG")  # a radiograph project's, names hidden
HIDDEN = os.path.join("…", "model.pt")  # the field's words for a model.pt, names hidden


def _column(dlg: TrainDialog, col: int) -> list[str]:
    return [dlg.table.item(row, col).text() for row in range(dlg.table.rowCount())]


def _dialog(qtbot, tmp_path, factory=None, out=None, **kw) -> TrainDialog:  # type: ignore[no-untyped-def]
    project = mip_project()
    dlg = TrainDialog(
        data_images(project, list(VERTEBRAE)),
        out or tmp_path / "m.pt",
        factory or jobs.project_train_factory(project, pixels(project)),
        class_names=list(VERTEBRAE),
        **kw,
    )
    qtbot.addWidget(dlg)
    return dlg


def test_hidden_names_show_images_by_id_and_follow_the_switch(qtbot, tmp_path) -> None:
    dlg = _dialog(qtbot, tmp_path, names_hidden=True)
    assert _column(dlg, 0) == ["image 1", "image 2", "image 3"]  # the strip's ids
    assert _column(dlg, 1) == ["patient 1", "patient 2", "patient 3"]
    ticked = [im.image_id for im in dlg.selected_images()]
    dlg.set_names_hidden(False)  # View > Hide names and paths turned off, dialog open
    assert _column(dlg, 0) == ["Doe_Jane_1.png", "Doe_Jane_2.png", "Doe_Jane_3.png"]
    assert _column(dlg, 1) == ["p1", "p2", "p3"]
    dlg.set_names_hidden(True)
    assert not [t for t in _column(dlg, 0) + _column(dlg, 1) if "Doe" in t or t == "p1"]
    assert [im.image_id for im in dlg.selected_images()] == ticked  # renamed, not re-ticked


def test_the_count_is_what_trains_and_says_what_is_left_out(qtbot, tmp_path) -> None:
    dlg = _dialog(qtbot, tmp_path)
    assert _column(dlg, 2) == ["1 (+3 left out)", "1 (+2 left out)", "0 (+1 left out)"]
    tip = dlg.table.item(0, 2).toolTip()
    assert "2 annotations of category 'C7' left out of training" in tip
    assert "Doe" not in tip
    assert "left out" in dlg.table.horizontalHeaderItem(2).toolTip()
    # ticked as before: an image whose outlines are all left out trains as "nothing to find"
    assert [im.image_id for im in dlg.selected_images()] == [1, 2, 3]


def test_a_read_only_window_greys_out_start_with_why(qtbot, tmp_path) -> None:
    started: list[object] = []
    dlg = _dialog(qtbot, tmp_path, factory=started.append)
    dlg.set_read_only(True)
    assert not dlg.start_button.isEnabled() and dlg.start_button.toolTip() == LOCKED_TIP
    dlg.start()  # from code: refused in words, nothing started
    assert started == [] and dlg.error_label.text() == LOCKED_TIP
    dlg.set_read_only(False)
    assert dlg.start_button.isEnabled() and dlg.start_button.toolTip() != LOCKED_TIP


def test_the_dialog_reads_well_with_names_hidden(qtbot, tmp_path, monkeypatch) -> None:
    """Rendered after a run (engine stubbed): neutral names, counts and the strip."""
    import vertapp.ml.train as engine

    def no_training(config, train, out, val_data=None, **kw):  # type: ignore[no-untyped-def]
        yield Progress("train", 1.0, "trained", {"iteration": 1, "epoch": 1})
        return SimpleNamespace(out=out)

    monkeypatch.setattr(engine, "train_job", no_training)
    monkeypatch.setattr(jobs, "run_in_process", lambda fn, *a, **_k: fn(*a))
    dlg = _dialog(qtbot, tmp_path, names_hidden=True)
    dlg.show()
    with qtbot.waitSignal(dlg.trained, timeout=30_000):
        dlg.start()
    assert not dlg.data_warnings.isHidden()
    header = dlg.table.horizontalHeader()
    count_width = header.sectionSize(2)
    assert count_width >= dlg.table.fontMetrics().horizontalAdvance("1 (+3 left out)")
    assert dlg.table.item(0, 0).checkState() == Qt.CheckState.Checked
    if SCREENSHOT:
        dlg.grab().save(SCREENSHOT)


def _type(dlg: TrainDialog, text: str) -> None:
    """The user types `text` into "Save the model as" and leaves the field."""
    dlg.out_path.setText(text)
    dlg.out_path.editingFinished.emit()


def test_the_model_file_shows_no_folder_while_names_are_hidden(qtbot, tmp_path) -> None:
    real = tmp_path / "Doe_Jane" / "models" / "model.pt"  # PROJECT/models/model.pt
    dlg = _dialog(qtbot, tmp_path, out=real, names_hidden=True)
    assert dlg.out_path.text() == HIDDEN and "hidden" in dlg.out_path.toolTip()
    assert dlg.request().out_path == real  # shown without its folder, saved in it
    dlg.set_names_hidden(False)  # View > Hide names and paths turned off, dialog open
    assert dlg.out_path.text() == str(real)
    dlg.set_names_hidden(True)
    assert dlg.out_path.text() == HIDDEN
    _type(dlg, "other.pt")  # a new name, typed while hidden: beside the model
    assert dlg.out_path.text() == os.path.join("…", "other.pt")
    assert dlg.request().out_path == real.parent / "other.pt"
    _type(dlg, os.path.join("…", "third.pt"))  # the ellipsis kept: the same folder
    assert dlg.request().out_path == real.parent / "third.pt"
    _type(dlg, "")  # emptied: the model file it named, not ./model.pt
    assert dlg.request().out_path == real.parent / "third.pt"
    chosen = tmp_path / "Doe_John" / "mine.pt"  # a full path of the user's own
    _type(dlg, str(chosen))
    assert dlg.out_path.text() == os.path.join("…", "mine.pt")  # hidden again once typed
    assert dlg.request().out_path == chosen
    dlg.set_names_hidden(False)  # the edit is kept across the switch
    assert dlg.out_path.text() == str(chosen) and dlg.request().out_path == chosen


def test_a_new_name_and_a_cancelled_run_name_no_folder_while_hidden(qtbot, tmp_path) -> None:
    real = tmp_path / "Doe_Jane" / "models" / "model.pt"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"an earlier model")
    dlg = _dialog(qtbot, tmp_path, out=real, names_hidden=True)
    dlg.ask_overwrite = lambda _path: "new"
    request = dlg.request()
    assert dlg._may_write(request) and request.out_path == real.parent / "model_2.pt"
    assert dlg.out_path.text() == os.path.join("…", "model_2.pt")
    dlg._request = request
    training.last_checkpoint(request.out_path).write_bytes(b"epoch 1")
    dlg._on_cancelled()  # "the last checkpoint is kept in ..."
    assert "Doe" not in dlg.eta_label.text() and "model_2.last.pt" in dlg.eta_label.text()


def test_every_preset_reads_in_words(qtbot, tmp_path) -> None:
    dlg = _dialog(qtbot, tmp_path, preset="mobile")  # a radiograph project's
    assert dlg.preset.currentData() == "mobile"
    assert dlg.preset.currentText().startswith("Light (")
    shown = [dlg.preset.itemText(i) for i in range(dlg.preset.count())]
    assert len(shown) == len(training.preset_names())
    assert not set(shown) & set(training.preset_names())  # no code name left


def test_a_radiograph_project_reads_well_with_names_hidden(qtbot, tmp_path) -> None:
    """As Model > Train opens it: the project's own model file, its preset."""
    project = film_project(tmp_path)
    kinds = [img.kind for img in project.images.values()]
    dlg = TrainDialog(
        data_images(project, list(project.labels), has_class, unclassed_sentence),
        project.root / "models" / "model.pt",
        jobs.project_train_factory(project),
        class_names=list(project.labels),
        preset=default_preset(kinds),
        names_hidden=True,
    )
    qtbot.addWidget(dlg)
    dlg.show()
    cells = [dlg.table.item(r, c).text() for r in range(dlg.table.rowCount()) for c in (0, 1)]
    assert not [t for t in [*cells, dlg.out_path.text()] if "Doe" in t]
    assert dlg.preset.currentText().startswith("Light (")
    scroll = dlg.findChild(QScrollArea)  # the preset's words fit: no sideways scrolling
    assert scroll is not None and not scroll.horizontalScrollBar().isVisible()
    if PRIVACY_SHOT:
        dlg.grab().save(PRIVACY_SHOT)
