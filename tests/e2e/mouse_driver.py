"""Drive the main window like a user: clicks and drags at image coordinates."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from vertapp.gui.views.canvas import ImageCanvas

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def view_point(canvas: ImageCanvas, x: float, y: float) -> QPoint:
    """Viewport pixel where scene point (x, y) of the image is drawn."""
    p = canvas.map_to_widget(x, y)
    return QPoint(round(p.x()), round(p.y()))


def click(qtbot, canvas: ImageCanvas, x: float, y: float, button=LEFT) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(canvas.view.viewport(), button, NO_MOD, view_point(canvas, x, y))


def _send(widget, kind, pos: QPoint, button, buttons) -> None:  # type: ignore[no-untyped-def]
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)), button, buttons, NO_MOD)
    QApplication.sendEvent(widget, event)


def drag(
    qtbot, canvas: ImageCanvas, start: tuple[float, float], end: tuple[float, float], steps: int = 6
) -> None:  # type: ignore[no-untyped-def]
    """Press at `start`, move in steps (buttons held, which QTest.mouseMove cannot do), release at `end`."""
    vp = canvas.view.viewport()
    a, b = view_point(canvas, *start), view_point(canvas, *end)
    _send(vp, QMouseEvent.Type.MouseButtonPress, a, LEFT, LEFT)
    for i in range(1, steps + 1):
        t = i / steps
        p = QPoint(round(a.x() + (b.x() - a.x()) * t), round(a.y() + (b.y() - a.y()) * t))
        _send(vp, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, LEFT)
        qtbot.wait(5)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, b, LEFT, Qt.MouseButton.NoButton)
    qtbot.wait(5)


def double_click(qtbot, canvas: ImageCanvas, x: float, y: float) -> None:  # type: ignore[no-untyped-def]
    """The event sequence a window system delivers: press, release, double-click, release.

    (QTest.mouseDClick adds a second press, which no real mouse sends.)
    """
    vp = canvas.view.viewport()
    p = view_point(canvas, x, y)
    none = Qt.MouseButton.NoButton
    _send(vp, QMouseEvent.Type.MouseButtonPress, p, LEFT, LEFT)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, p, LEFT, none)
    _send(vp, QMouseEvent.Type.MouseButtonDblClick, p, LEFT, LEFT)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, p, LEFT, none)
    qtbot.wait(5)


def draw_triangle(qtbot, window, x0: int = 10) -> None:  # type: ignore[no-untyped-def]
    """Draw a triangle with the polygon tool at image x = `x0`..`x0` + 30, as a user clicks."""
    window.act_draw.trigger()
    for x, y in ((x0, 10), (x0 + 30, 10), (x0 + 30, 40)):
        click(qtbot, window.annot.canvas, x, y)
    window.act_finish.trigger()
    window.act_select.trigger()
