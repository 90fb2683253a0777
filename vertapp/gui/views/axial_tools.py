"""Mouse tools of the axial view: right-drag window/level, left-click linked cursor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, Qt

if TYPE_CHECKING:
    from vertapp.gui.views.axial_view import AxialView


class WindowLevelDrag:
    """Right-drag: horizontal changes the width, vertical the level (as CT viewers do)."""

    def __init__(self, view: AxialView) -> None:
        self.view = view
        self._start: tuple[float, float] | None = None

    def click(self, ev: Any, pos: QPointF) -> bool:
        return False

    def drag(self, ev: Any, pos: QPointF) -> bool:
        if ev.button() != Qt.MouseButton.RightButton:
            return False
        if ev.isStart():
            self._start = self.view.wl
        if self._start is None:
            return True
        delta = ev.screenPos() - ev.buttonDownScreenPos()
        width = max(1.0, self._start[0] + 4.0 * delta.x())
        level = self._start[1] - 2.0 * delta.y()
        self.view.set_window(width, level)
        if ev.isFinish():
            self._start = None
        return True


class PointClick:
    """Left click: put the linked cursor there (the MIP shows the same point)."""

    def __init__(self, view: AxialView) -> None:
        self.view = view

    def click(self, ev: Any, pos: QPointF) -> bool:
        if ev.button() != Qt.MouseButton.LeftButton or self.view.volume is None:
            return False
        lps = self.view.scene_to_lps(pos.x(), pos.y())
        if lps is None:
            return False
        self.view.set_marker(lps)
        self.view.point_clicked.emit(lps)
        return True

    def drag(self, ev: Any, pos: QPointF) -> bool:
        return False
