"""Start the prediction child before the first Predict (the window's side of
`warm_process.WarmProcess.prestart`).

The first prediction of a session cost ~4 s more than the next ones: its child imported
torch, torchvision and the engine. When a project that can predict opens (its own model,
or the starter for CT MIPs) the child is started `DELAY_MS` later, at low priority, and
imports them then, so the user's first Predict is as quick as the later ones. Later, not
at once: opening (reading the CT, the first paint) must not share the disk and CPU with
it. Never in unattended runs (a screenshot, a test: Qt's offscreen platform) unless a
test asks for it: a child nobody asked for holds ~0.5 GB.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication

from vertapp.errors import VertAppError
from vertapp.gui.model import jobs

DELAY_MS = 3000  # after the project opened: its first paint and the CT's reading first


def unattended(window: Any) -> bool:
    """A screenshot run (the window marked headless) or a test (offscreen platform)."""
    headless = window.property("headless") if isinstance(window, QObject) else False
    return bool(headless) or QGuiApplication.platformName() == "offscreen"


def prestart_soon(workflow: Any) -> None:
    """A project opened: start the prediction child in `DELAY_MS` if it can predict then.

    `workflow`: the window's ModelWorkflow (`window.doc`, `default_model()`); its timer
    dies with it."""
    if unattended(workflow.window):
        return
    QTimer.singleShot(DELAY_MS, workflow, lambda: _prestart(workflow))


def can_predict(workflow: Any) -> bool:
    """Images to predict on, and a model a Predict would take without asking."""
    if not workflow.window.doc.project.images:
        return False
    try:
        workflow.default_model()  # the project's own model, else the starter if it serves
    except VertAppError:
        return False
    return True


def _prestart(workflow: Any) -> None:
    if can_predict(workflow):  # asked again: another project may be open by now
        jobs.prestart_predictions()
