"""Start the workstation: `run_gui(path, screenshot)` (used by `vertapp gui` and `vertapp demo`)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QIODevice, QSaveFile, QTimer
from PySide6.QtGui import QImageWriter
from PySide6.QtWidgets import QApplication, QWidget

from vertapp import __version__, logs
from vertapp.errors import InputError, VertAppError
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


def end_children_on_quit(app: QApplication) -> None:
    """The app's child processes (predictions, 3D labels) end when it quits, also on a
    quit no window close came before (the window's close ends them itself): each drops
    its job, then stops, or is ended after `persistent_child.STOP_S`. Connected before
    the window's own aboutToQuit slots, so their threads find the children gone and end
    at once. Without it the children outlived the event loop (daemons: ended only as
    Python exited)."""
    from vertapp.gui.model.persistent_child import close_all

    app.aboutToQuit.connect(close_all)


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
    saves itself to that PNG and exits (0 on success, 1 when loading failed); a path
    no image can be saved to is refused before the window opens, and a save that fails
    anyway raises VertAppError once the window has closed.
    """
    shot = check_screenshot_path(screenshot) if screenshot else None  # before any slow start
    from vertapp.gui.model.workflow import install_model_workflow
    from vertapp.gui.window.crash_dialog import install_crash_handler
    from vertapp.gui.window.main_window import MainWindow

    start_logging()
    app = _application()
    end_children_on_quit(app)
    window = MainWindow()
    install_model_workflow(window)  # Model menu: train, predict, review, compare
    crash_hook = install_crash_handler(window.doc, window, window.help.open_log_folder)
    if screenshot:
        window.setProperty("headless", True)  # no modal questions in unattended runs
        window.resize(*(size or SCREENSHOT_SIZE))
    elif size:
        window.resize(*size)
    window.show()
    status: dict[str, int] = {"rc": 0}
    failed: list[VertAppError] = []
    if shot:

        def grab() -> None:
            try:  # whatever happens, the window closes and the process exits
                save_screenshot(window, shot)
            except VertAppError as err:
                failed.append(err)
            finally:
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
    if failed:
        raise failed[0]
    return status["rc"] if screenshot else int(rc)


def check_screenshot_path(screenshot: str) -> Path:
    """`screenshot` as a Path, or InputError in words before the window opens.

    Refused: an existing folder, a name whose extension Qt writes no image for (.txt,
    none), a path through a file, a folder or file that cannot be written. Found only at
    the grab, these exited 1 without a word, or crashed in the event loop and never exited.
    """
    path = Path(screenshot)
    if path.is_dir():
        raise InputError(
            f"--screenshot {path} is a folder; give an image file name, e.g. {path / 'shot.png'}"
        )
    formats = sorted({bytes(f.data()).decode() for f in QImageWriter.supportedImageFormats()})
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise InputError(
            f"--screenshot {path}: {'.' + suffix if suffix else 'a name without extension'} "
            f"is not an image format; end the name with .png (Qt also writes "
            f".{', .'.join(f for f in formats if f != 'png')})"
        )
    folder = _nearest_existing(path.parent)
    if not folder.is_dir():
        raise InputError(f"--screenshot {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"--screenshot {path}: no permission to write in {folder}")
    if path.exists() and not path.is_file():  # /dev/null, a pipe: never replaced by a file
        raise InputError(f"--screenshot {path}: not a regular file (a device, pipe or socket)")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"--screenshot {path}: the file exists and cannot be overwritten")
    return path


def _nearest_existing(folder: Path) -> Path:
    """`folder` or its nearest ancestor that exists (what the grab's mkdir would start from)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def save_screenshot(window: QWidget, path: Path) -> None:
    """The window's pixels to `path`, all or nothing (QSaveFile: a failed save leaves an
    older file there as it was); VertAppError saying why when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise VertAppError(
            f"--screenshot {path}: cannot make its folder ({err.strerror or err})"
        ) from None
    out = QSaveFile(str(path))
    if not out.open(QIODevice.OpenModeFlag.WriteOnly):
        raise VertAppError(f"--screenshot {path}: cannot write ({out.errorString()})")
    if not window.grab().save(out, path.suffix.lstrip(".").lower()) or not out.commit():
        out.cancelWriting()
        raise VertAppError(
            f"--screenshot {path}: the image could not be saved ({out.errorString()})"
        )
