"""The window uses the starter model: Model > Predict with no model chosen, and the train
dialog's default start (a tiny random stand-in, made by the same tool as the real one)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.ml.spines import spine_image
from tests.unit.ml.tiny_starter import use_tiny_starter
from vertapp.annotations.model import ImageRecord, Project
from vertapp.ml import starter
from vertapp.ml.checkpoint import read_checkpoint
from vertapp.ml.config import preset
from vertapp.review.prediction import predict_job_from_snapshots

pytest.importorskip("pytestqt")


@pytest.fixture
def window(qtbot):
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    win = MainWindow()
    win.setProperty("headless", True)
    qtbot.addWidget(win)
    install_model_workflow(win)
    return win


def unlabelled_project(
    kind: str = "mip", root: Path | None = None
) -> tuple[Project, dict[int, np.ndarray]]:
    """One 128 px spine image without labels; saved under `root` when given (the window
    reads a radiograph's pixels from its file)."""
    project = Project(label_set="vertebrae")
    img = spine_image(0)[0]
    project.add_image(ImageRecord(1, "images/a.png", 128, 128, kind=kind, patient_key="p1"))
    if root is not None:
        (root / "images").mkdir(parents=True)
        cv2.imwrite(str(root / "images" / "a.png"), img)
        project.root = root
    return project, {1: img}


def open_in(window, project, pending) -> None:
    window.doc.set_project(project, "starter test", pending=pending)
    window.doc.set_current(1)


def predict_current(window, qtbot):
    panel = window.model_workflow.predict_panel
    panel._factory = predict_job_from_snapshots  # in this process: quicker than a child's start
    with qtbot.waitSignal(panel.run_finished, timeout=60_000) as run:
        panel.predict_current()
    return panel, run.args[0]


def test_predict_without_a_chosen_model_uses_the_starter_and_says_so(
    window, qtbot, tmp_path, monkeypatch
):
    use_tiny_starter(tmp_path, monkeypatch, confident=True)
    open_in(window, *unlabelled_project())
    panel, run = predict_current(window, qtbot)
    assert run.model_id.startswith("starter-ct@e3of4:")
    assert panel.status.text().endswith(
        "predicted by the starter model (epoch 3 of 4); this project has no model of its own."
    )  # in words; the audit id is the tooltip's
    assert run.model_id in panel.status.toolTip()
    predicted = window.doc.project.images[1].instances
    assert predicted and all(i.source == "predicted" for i in predicted)
    assert all(i.model_id == run.model_id for i in predicted)


def test_a_project_model_comes_before_the_starter(window, qtbot, tmp_path, monkeypatch):
    tiny = use_tiny_starter(tmp_path, monkeypatch, confident=True)
    project, pending = unlabelled_project()
    project.root = tmp_path / "proj"
    own = starter.project_model_path(project.root)
    own.parent.mkdir(parents=True)
    own.write_bytes(tiny.read_bytes())
    open_in(window, project, pending)
    panel, run = predict_current(window, qtbot)
    assert run.model_id.startswith("model@")
    assert "predicted by this project's model (epoch" in panel.status.text()


@pytest.mark.parametrize("broken", ["missing", "corrupt", "radiographs"])
def test_no_usable_starter_is_said_in_words(window, qtbot, tmp_path, monkeypatch, broken):
    if broken == "radiographs":
        open_in(window, *unlabelled_project("radiograph", tmp_path / "xray"))
    else:
        open_in(window, *unlabelled_project())
    panel = window.model_workflow.predict_panel
    panel._factory = predict_job_from_snapshots
    if broken == "missing":
        monkeypatch.delenv(starter.ENV_OVERRIDE)
        monkeypatch.setattr(starter, "RESOURCE", "models/not-shipped.pt")
        expected = "starter model (vertapp/resources/models/starter-ct.pt) is missing"
    elif broken == "corrupt":
        bad = tmp_path / "starter-ct.pt"
        bad.write_bytes(b"PK\x03\x04 truncated")
        monkeypatch.setenv(starter.ENV_OVERRIDE, str(bad))
        expected = "starter-ct.pt: not a readable checkpoint"
    else:
        use_tiny_starter(tmp_path, monkeypatch)
        expected = "Choose a model file first: this project has no model of its own"
    panel.predict_current()
    qtbot.waitUntil(lambda: not panel.status.text().startswith("Predicting"), timeout=30_000)
    assert expected in panel.status.text()
    assert "Traceback" not in panel.status.text()
    assert window.doc.project.images[1].instances == []


def test_train_dialog_starts_from_the_starter_by_default(window, tmp_path, monkeypatch):
    tiny = use_tiny_starter(tmp_path, monkeypatch)
    project, pending = unlabelled_project()
    open_in(window, project, pending)
    dialog = window.model_workflow.open_train_dialog()
    assert dialog.start_from.currentData() == "starter"
    assert dialog.model_box.preset_name() == "fast"  # CT MIPs: the quick preset's run settings
    assert not dialog.backbone.isEnabled() and not dialog.arch.isEnabled()
    # shown as the starter has it (it is what trains), not as the preset ("fast") says
    assert dialog.backbone.currentText() == "mobilenet_v3_large" != preset("fast").backbone
    thresh = dialog.settings.widget("score_thresh")  # the starter's calibration, not the preset's
    assert not thresh.isEnabled() and dialog.settings.values()["score_thresh"] == pytest.approx(
        read_checkpoint(tiny)["config"]["score_thresh"]
    )
    request = dialog.request
    dialog.table.item(0, 0).setCheckState(dialog.table.item(0, 0).checkState().Checked)
    assert request().finetune_from == tiny
    fast_lr = preset("fast").lr
    assert request().config.lr == pytest.approx(0.1 * fast_lr)  # a fine-tune's lr
    dialog.start_from.setCurrentIndex(dialog.start_from.findData("scratch"))
    assert dialog.backbone.isEnabled() and request().finetune_from is None
    assert dialog.backbone.currentText() == preset("fast").backbone  # the preset's again
    assert request().config.lr == pytest.approx(fast_lr)  # a new model's
    assert dialog.model_box.remembered(0.2)["start"] == "scratch"
    dialog.set_preset("mobile")  # a preset chosen while the starter is shown ...
    dialog.start_from.setCurrentIndex(dialog.start_from.findData("starter"))
    dialog.set_preset("paper")
    assert dialog.backbone.currentText() == "mobilenet_v3_large"
    assert dialog.model_box.remembered(0.2)["backbone"] == preset("paper").backbone
    dialog.start_from.setCurrentIndex(dialog.start_from.findData("scratch"))
    assert dialog.backbone.currentText() == preset("paper").backbone  # ... is shown after
    dialog.close()


def test_radiograph_projects_are_not_offered_the_starter(window, tmp_path, monkeypatch):
    use_tiny_starter(tmp_path, monkeypatch)
    open_in(window, *unlabelled_project("radiograph", tmp_path / "xray"))
    dialog = window.model_workflow.open_train_dialog()
    assert [dialog.start_from.itemData(i) for i in range(dialog.start_from.count())] == ["scratch"]
    # the radiograph model's preset (MobileNetV3, long side 1024), not the CT's quick one
    assert (
        dialog.model_box.preset_name() == "mobile" and dialog.settings.values()["max_size"] == 1024
    )
    dialog.close()


def test_training_request_fine_tunes_the_starter(tmp_path, monkeypatch):
    """The dialog's request reaches the engine: the run keeps the starter's architecture."""
    from vertapp.annotations.geometry import mask_to_polygons
    from vertapp.annotations.model import Instance
    from vertapp.jobs import run_job
    from vertapp.ml.checkpoint import read_checkpoint
    from vertapp.ml.config import preset
    from vertapp.review.snapshot import snapshot
    from vertapp.review.training import TrainRequest, train_job_from_snapshots

    tiny = use_tiny_starter(tmp_path, monkeypatch)
    project, pending = unlabelled_project()
    _, masks, labels = spine_image(0)
    for mask, level in zip(masks, labels, strict=True):
        polygons = mask_to_polygons(mask, 1.0)
        project.images[1].instances.append(
            Instance(project.new_instance_id(), f"T{int(level)}", polygons)
        )
    cfg = preset("fast", epochs=1, max_iterations=1, views_per_image=1, device="cpu")
    out = tmp_path / "m.pt"
    request = TrainRequest(cfg, [1], [], out, finetune_from=tiny)
    run_job(train_job_from_snapshots(request, snapshot(project, [1], pending), []))
    config = read_checkpoint(out)["config"]
    assert config["backbone"] == "mobilenet_v3_large" and config["min_size"] == 128
