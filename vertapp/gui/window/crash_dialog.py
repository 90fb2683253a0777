"""What the window does with an uncaught exception: the user's work first, then a report.

`install_crash_handler` plugs the window's autosave and `CrashDialog` into the Qt-free
hook of `vertapp.logs` (PySide6 hands an exception escaping a slot to `sys.excepthook`):
1. flush the work: an untitled scan's autosave is written now, not at the next timer
   tick; a saved project's journal already holds every edit (written as it is made);
2. log the traceback (redacted) to the rotating log file;
3. show a short message in words and where the log is. The message names the error's
   kind, never a traceback or a file name of the scan (see `logs.crash_message`).
The app keeps running afterwards: the edit that failed is the only thing lost.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from vertapp.gui.document.document import Document
from vertapp.logs import CrashHook, install_excepthook

TITLE = "VertApp: unexpected error"


class CrashDialog(QMessageBox):
    """The message, the log file's place, and a button that opens the log folder."""

    def __init__(
        self,
        message: str,
        log_path: Path,
        open_logs: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(QMessageBox.Icon.Critical, TITLE, message, parent=parent)
        self.setInformativeText(
            f"The details are in the log file {log_path.name} in\n{log_path.parent}\n"
            "Send that file with a report: it holds no patient names or scan paths."
        )
        self.open_logs_button = None
        if open_logs is not None:
            self.open_logs_button = self.addButton(
                "Open log folder", QMessageBox.ButtonRole.ActionRole
            )
            self.open_logs_button.clicked.connect(lambda: open_logs())
        self.addButton(QMessageBox.StandardButton.Ok)


def flush_work(doc: Document) -> None:
    """Write what a crash could lose. Raises when the autosave cannot be written, so the
    dialog says to save under a new name instead of claiming the work is safe."""
    doc.autosave()


def install_crash_handler(
    doc: Document, parent: QWidget, open_logs: Callable[[], object] | None = None
) -> CrashHook:
    """Install the hook for this window; keep the result to `uninstall()` it."""

    def show(message: str, log_path: Path) -> None:
        if parent.property("headless"):
            # Unattended runs (screenshots, package checks) have nobody to click OK.
            if sys.stderr is not None:
                print(f"{message}\nDetails: {log_path}", file=sys.stderr)
            return
        owner = parent if parent.isVisible() else None
        CrashDialog(message, log_path, open_logs, owner).exec()

    return install_excepthook(lambda: flush_work(doc), show)
