"""Closing the window: a step of its teardown that fails (a bug, a deleted object) is
logged, and the others still run; the window closes, its project lock is released and
the process lives on (was: PySide6 6.11 ended the process inside closeEvent)."""

from __future__ import annotations

import logging

from tests.e2e.window_driver import open_and_wait
from vertapp.annotations.project_lock import lock_path


def test_a_failing_teardown_step_is_logged_and_the_rest_runs(
    qtbot, window, small_project, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QCoreApplication, QEvent, QObject

    open_and_wait(qtbot, window, small_project)
    assert lock_path(small_project).exists()
    gone = QObject()
    gone.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)

    def flush() -> None:
        gone.objectName()  # shiboken's own RuntimeError, the kind that crashed

    monkeypatch.setattr(window.images.slices, "flush", flush)
    with caplog.at_level(logging.ERROR, logger="vertapp.gui.window.main_window"):
        assert window.close()
    assert not window.isVisible()
    assert "closing the window: flush failed" in caplog.text
    assert "already deleted" in caplog.text
    assert not lock_path(small_project).exists()  # close_session ran after it
