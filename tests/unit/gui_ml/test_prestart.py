"""The prediction child is started when a project that can predict opens, never in an
unattended run, never for a project without a model (no child is started here: the
start itself is tests/unit/gui_ml/test_warm_process.py's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from tests.unit.review.sample import review_project
from vertapp.annotations.model import Project
from vertapp.gui.model import jobs, prestart


@pytest.fixture
def started(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Records each pre-start instead of starting a child; no delay."""
    calls: list[int] = []
    monkeypatch.setattr(jobs, "prestart_predictions", lambda: calls.append(1) or True)
    monkeypatch.setattr(prestart, "DELAY_MS", 0)
    return calls


@pytest.fixture
def starter_on(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A starter model in place (the suite turns it off): CT projects can predict."""
    fake = tmp_path / "starter.pt"
    fake.write_bytes(b"weights")
    monkeypatch.setenv("VERTAPP_STARTER_MODEL", str(fake))


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    import pyqtgraph as pg

    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major")
    win = MainWindow()
    qtbot.addWidget(win)
    install_model_workflow(win)
    yield win
    win.doc.stack.setClean()


def open_project(win, project: Project) -> None:  # type: ignore[no-untyped-def]
    pending = {i: np.full((64, 64), 40 * i, np.uint8) for i in project.images}
    win.doc.set_project(project, "test", pending=pending)


def test_tests_and_screenshots_are_unattended(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = QWidget()
    qtbot.addWidget(widget)
    assert prestart.unattended(widget)  # Qt's offscreen platform: a test
    widget.setProperty("headless", True)
    assert prestart.unattended(widget)


def test_no_prestart_in_an_unattended_run(window, qtbot, started, starter_on) -> None:  # type: ignore[no-untyped-def]
    open_project(window, review_project())
    qtbot.wait(50)
    assert started == []


def test_a_project_that_can_predict_prestarts_once_opened(  # type: ignore[no-untyped-def]
    window, qtbot, started, starter_on, monkeypatch
) -> None:
    monkeypatch.setattr(prestart, "unattended", lambda _window: False)  # as a user's window
    open_project(window, review_project())  # CT MIPs, the starter serves them
    qtbot.waitUntil(lambda: started == [1], timeout=2000)


def test_no_prestart_without_images_or_a_model(  # type: ignore[no-untyped-def]
    window, qtbot, started, monkeypatch
) -> None:
    monkeypatch.setattr(prestart, "unattended", lambda _window: False)
    open_project(window, review_project())  # no model of its own, the starter is off
    open_project(window, Project(label_set="vertebrae"))  # nothing to predict on
    qtbot.wait(50)
    assert started == []
