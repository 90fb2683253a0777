"""Drag files or folders from the file manager onto the window to open them.

A CT file, a DICOM folder, a radiograph or a project folder opens as File > Open
would; several dropped at once: the first opens and the status bar says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from vertapp.gui.widgets.qt_override import qt_override


def dropped_paths(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    """Local files and folders carried by a drag (web links are not opened)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class DropOpener(QObject):
    """Event filter on the window: accept drags of local paths, open the first on drop."""

    def __init__(
        self, window: QWidget, open_path: Callable[[Path], None], status: Callable[[str, int], None]
    ) -> None:
        super().__init__(window)
        self.open_path, self.status = open_path, status
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    @qt_override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if dropped_paths(event):  # type: ignore[arg-type]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif event.type() == QEvent.Type.Drop:
            paths = dropped_paths(event)  # type: ignore[arg-type]
            if paths:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                self.drop(paths)
                return True
        return False

    def drop(self, paths: list[Path]) -> None:
        if len(paths) > 1:
            self.status(f"{len(paths)} items dropped: opening the first one", 8000)
        self.open_path(paths[0])


__all__ = ["DropOpener", "dropped_paths"]
