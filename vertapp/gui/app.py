"""Start the workstation: `run_gui(path, screenshot)` (used by `vertapp gui` and `vertapp demo`)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from vertapp import __version__, logs
from vertapp.gui.widgets.app_icon import install_app_icon

log = logging.getLogger(__name__)
SCREENSHOT_SIZE = (1920, 1080)
SETTLE_MS = 400  # let the last repaint land before grabbing


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("VertApp")
        app.setOrganizationName("VertApp")
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    install_app_icon()  # every window and dialog, parented or not
    return app  # type: ignore[return-value]


def start_logging() -> None:
    """The rotating log file: a frozen app has no console, this is what a report sends."""
    try:
        path = logs.setup_file_logging()
    except OSError as err:  # an unwritable log folder must not stop the app
        log.warning("no log file: %s", err)
        return
    log.info("VertApp %s window starting; log file %s", __version__, path.name)


def run_gui(
    path: str | None = None,
    screenshot: str | None = None,
    *,
    size: tuple[int, int] | None = None,
) -> int:
    """Open the window (on `path` when given) and run the event loop.

    With `screenshot`, the window renders once `path` is loaded and processed,
    saves itself to that PNG and exits (0 on success, 1 when loading failed).
    """
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.crash_dialog import install_crash_handler
    from vertapp.gui.window.main_window import MainWindow

    start_logging()
    app = _application()
    window = MainWindow()
    install_model_workflow(window)  # Model menu: train, predict, review, compare
    crash_hook = install_crash_handler(window.doc, window, window.help.open_log_folder)
    if screenshot:
        window.setProperty("headless", True)  # no modal questions in unattended runs
        window.resize(*(size or SCREENSHOT_SIZE))
    elif size:
        window.resize(*size)
    window.show()
    status = {"rc": 0}
    if screenshot:

        def grab() -> None:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot)):
                status["rc"] = 1
            window.doc.stack.setClean()  # nothing was edited by hand: close without asking
            window.close()
            app.quit()

        def on_loaded(ok: bool) -> None:
            status["rc"] = 0 if ok else 1
            QTimer.singleShot(SETTLE_MS, grab)

        window.loaded.connect(on_loaded)
        if not path:
            QTimer.singleShot(SETTLE_MS, grab)
    if path:
        QTimer.singleShot(0, lambda: window.open_path(path))
    rc = app.exec()
    crash_hook.uninstall()
    return status["rc"] if screenshot else int(rc)
