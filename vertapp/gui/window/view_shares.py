"""The MIP keeps its share of a window that shrinks.

A QMainWindow gives every pixel it loses to its central widget; the docks keep their
widths. Shrinking the window from 1600 to 1280 px with the review panel open left the
MIP, the view one draws on, 82 px wide between the project list, the axial view and the
review panel. Here the docks beside it give up width in proportion to theirs, as the
panes of a splitter do (3D Slicer's and ITK-SNAP's views keep their share of a smaller
window), and as much more as the MIP needs to keep `MIN_SHARE` of the window's width.
Growing the window gives the MIP the room, as Qt does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

MIN_SHARE = 0.4  # of the window's width, for the MIP, as long as the docks can shrink
SIDES = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)


def side_columns(window: QMainWindow) -> list[list[QDockWidget]]:
    """The shown docks of the left and right dock areas, by column (docks stacked in a
    column share its width). A tab behind another one is left out: Qt keeps it
    "visible", moved out of the window."""
    columns: dict[tuple[Qt.DockWidgetArea, int], list[QDockWidget]] = {}
    for dock in window.findChildren(QDockWidget):
        area = window.dockWidgetArea(dock)
        shown = dock.isVisible() and window.rect().intersects(dock.geometry())
        if area in SIDES and shown and not dock.isFloating():
            columns.setdefault((area, dock.x()), []).append(dock)
    return list(columns.values())


def _least_width(column: list[QDockWidget]) -> int:
    return max(max(d.minimumWidth(), d.minimumSizeHint().width()) for d in column)


def shared_widths(
    docks: list[int], least: list[int], central: int, old_total: int, new_total: int
) -> list[int]:
    """The docks' widths once a window `old_total` px wide is `new_total` px wide: each
    scaled with the window, less what the central view needs for `MIN_SHARE`, none
    below its `least` width (what one cannot give, the others do).

    `docks` and `central` are the widths now, after Qt gave the whole loss to the
    central view (their sum is what the columns share, without the separators)."""
    room = sum(docks) + central
    total = min(sum(docks) * new_total / old_total, room - MIN_SHARE * new_total)
    return [round(w) for w in _fill(docks, least, max(total, 0.0))]


def _fill(widths: list[int], least: list[int], total: float) -> list[float]:
    """`total` shared in proportion to `widths`, each given at least its `least`."""
    out = [float(w) for w in widths]
    free = set(range(len(widths)))
    while free:
        left = total - sum(out[i] for i in range(len(out)) if i not in free)
        weight = sum(widths[i] for i in free) or 1
        for i in free:
            out[i] = left * widths[i] / weight
        pinned = {i for i in free if out[i] < least[i]}
        if not pinned:
            break
        for i in pinned:
            out[i] = float(least[i])
        free -= pinned
    return out


def keep_central_share(window: QMainWindow, old_width: int, new_width: int) -> None:
    """After the window shrank from `old_width`: the side docks give up their share
    (Qt holds each at its minimum width)."""
    central = window.centralWidget()
    if central is None or old_width <= 0 or new_width >= old_width:
        return
    columns = side_columns(window)
    if not columns:
        return
    widths = shared_widths(
        [c[0].width() for c in columns],
        [_least_width(c) for c in columns],
        central.width(),
        old_width,
        new_width,
    )
    window.resizeDocks([c[0] for c in columns], widths, Qt.Orientation.Horizontal)


__all__ = ["MIN_SHARE", "keep_central_share", "shared_widths", "side_columns"]
