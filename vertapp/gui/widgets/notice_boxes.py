"""Error boxes that do not pile up: the same message again is not another box.

Each refused edit opened one more non-modal box with the same words (five strokes in a
read-only window: five boxes to close). A message whose box is still open, or was
closed less than REPEAT_S ago, goes to the status bar only (the caller's)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

REPEAT_S = 20.0


class NoticeBoxes:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self._open: set[str] = set()
        self._closed: dict[str, float] = {}  # message -> when its box was closed

    def show(self, message: str) -> bool:
        """A non-modal warning box with `message`, unless it was just shown: whether
        one was opened."""
        now = time.monotonic()
        self._closed = {m: t for m, t in self._closed.items() if now - t < REPEAT_S}
        if message in self._open or message in self._closed:
            return False
        box = QMessageBox(QMessageBox.Icon.Warning, "VertApp", message, parent=self.parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.finished.connect(lambda _result, m=message: self._closed_now(m))
        self._open.add(message)
        box.show()
        return True

    def _closed_now(self, message: str) -> None:
        self._open.discard(message)
        self._closed[message] = time.monotonic()
