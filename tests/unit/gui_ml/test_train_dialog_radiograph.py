"""The Train dialog of a radiograph project says what the run reads and leaves out, in
its strip, before training starts (the engine stubbed).

The window's radiograph run read each film with the reader's warnings sent to the log
only ("colour image converted to grey", "holds 3 frames; the first one was read"), and
did not say which outlines covered no pixel nor which films were left with nothing to
find, where a CT run says both (and `vertapp train` the warnings and the films).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from tests.unit.review.sample import square  # noqa: E402
from vertapp.annotations import store  # noqa: E402
from vertapp.annotations.model import ImageRecord, Instance, Project  # noqa: E402
from vertapp.gui.model import jobs  # noqa: E402
from vertapp.gui.model.train_dialog import TrainDialog  # noqa: E402
from vertapp.jobs import WARNINGS, Progress, run_job  # noqa: E402
from vertapp.review.snapshot import data_images  # noqa: E402
from vertapp.xray import snapshot_training  # noqa: E402
from vertapp.xray.snapshot_training import has_class  # noqa: E402
from vertapp.xray.training import unclassed_sentence  # noqa: E402

SCREENSHOT = os.environ.get("VERTAPP_RADIOGRAPH_STRIP_PNG")  # where to render it, if set
SAID = [
    "image 1: colour image converted to grey",
    "1 annotation of category 'body' left out of training: vertebra level unknown (body "
    "classes are the levels T1..L5)",
    "1 annotation of category 'body' left out of training: the outline covers no pixel of "
    "the image",
    "1 image (id 2) with no annotation of the model's classes: trained on as images with "
    "nothing to find",
]


def _film(folder, name: str, colour: bool) -> None:  # type: ignore[no-untyped-def]
    grey = (np.add.outer(np.arange(160), np.arange(80)) % 200).astype(np.uint8)
    img = np.dstack([grey, grey // 2, 255 - grey]) if colour else grey
    cv2.imwrite(str(folder / name), img)


def _body(iid: int, level: str | None, y: int) -> Instance:
    extra = {"vertapp": {"vertebra": level}} if level else {}
    return Instance(iid, "body", [square(20, y, 30)], extra=extra)


def _project(tmp_path) -> Project:  # type: ignore[no-untyped-def]
    """Film 1 (saved in colour): L3 and L4 bodies, an L5 drawn below the film; film 2: a
    body nobody gave a level. Both read from their files, as a saved project's are."""
    project = store.new_project(tmp_path / "Doe_Jane", label_set="parts")
    for image_id, colour, bodies in (
        (1, True, [("L3", 20), ("L4", 70), ("L5", 500)]),
        (2, False, []),
    ):
        name = f"images/Doe_Jane_{image_id}.png"
        _film(project.root, name, colour)
        rec = ImageRecord(image_id, name, 80, 160, kind="radiograph", patient_key=f"p{image_id}")
        rec.instances = [_body(10 * image_id + k, lv, y) for k, (lv, y) in enumerate(bodies)]
        if image_id == 2:
            rec.instances.append(_body(30, None, 40))
        project.add_image(rec)
    return project


@pytest.fixture
def stubbed_engine(monkeypatch):  # type: ignore[no-untyped-def]
    """The engine trains nothing; records whether the strip's words came first."""
    import vertapp.ml.train as engine

    def no_training(config, train, out, val_data=None, **kw):  # type: ignore[no-untyped-def]
        yield Progress("train", 1.0, "trained", {"iteration": 1, "epoch": 1})
        return SimpleNamespace(out=out)

    def no_levels(model, films):  # type: ignore[no-untyped-def]
        return
        yield

    monkeypatch.setattr(engine, "train_job", no_training)
    monkeypatch.setattr(snapshot_training, "_level_context", no_levels)
    monkeypatch.setattr(jobs, "run_in_process", lambda fn, *a, **_k: fn(*a))


def _dialog(qtbot, tmp_path, **kw) -> TrainDialog:  # type: ignore[no-untyped-def]
    """The Train dialog of `_project` (kept as `dlg.project`); `kw` for TrainDialog."""
    project = _project(tmp_path)
    dlg = TrainDialog(
        data_images(project, list(project.labels), has_class, unclassed_sentence),
        tmp_path / "m.pt",
        jobs.project_train_factory(project),
        class_names=list(project.labels),
        preset="mobile",
        **kw,
    )
    dlg.project = project  # type: ignore[attr-defined]
    qtbot.addWidget(dlg)
    return dlg


def test_film_read_warnings_are_said_before_training_starts(qtbot, tmp_path, stubbed_engine):
    dlg = _dialog(qtbot, tmp_path)
    events: list[Progress] = []
    run_job(dlg._factory(dlg.request()), events.append)  # the window's own job, run here
    said = [k for k, e in enumerate(events) if WARNINGS in e.data]
    assert len(said) == 1 and events[said[0]].data[WARNINGS] == SAID
    assert said[0] < next(k for k, e in enumerate(events) if e.stage == "train")


def test_the_radiograph_strip_shows_them_with_names_hidden(qtbot, tmp_path, stubbed_engine):
    dlg = _dialog(qtbot, tmp_path)
    dlg.show()
    assert [dlg.table.item(r, 2).text() for r in range(2)] == ["2 (+1 left out)", "0 (+1 left out)"]
    assert dlg.table.item(1, 2).toolTip() == SAID[1]  # the strip's words, before Start
    with qtbot.waitSignal(dlg.trained, timeout=30_000):
        dlg.start()
    assert not dlg.data_warnings.isHidden() and dlg.data_warnings.lines == SAID
    shown = dlg.data_warnings.label.text() + "".join(
        dlg.table.item(r, c).text() for r in range(2) for c in range(4)
    )
    assert "Doe" not in shown  # films by id: their file names carry the patient's
    if SCREENSHOT:
        dlg.grab().save(SCREENSHOT)
