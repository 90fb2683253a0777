"""The pair window's size on the screen it opens on.

It opened at 1400 x 900 px whatever the screen: on a 1280 x 800 ward workstation its right
edge and its status bar (progress, Cancel) lay off the screen or under the task bar. It
now takes that size only where the free screen has room, else the free space less the
window frame, and never shrinks below what keeps three views and the table readable
(unless the screen itself is smaller).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

PREFERRED, SMALLEST = (1400, 900), (960, 600)  # px; smaller, the three views are slivers
FRAME_ROOM = (16, 40)  # the title bar and borders come on top of the size a window is given


def window_size(free_w: int, free_h: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(size, minimum size) of the window on a screen with `free_w` x `free_h` px free."""
    size = (
        min(PREFERRED[0], free_w - FRAME_ROOM[0]),
        min(PREFERRED[1], free_h - FRAME_ROOM[1]),
    )
    return size, (min(SMALLEST[0], size[0]), min(SMALLEST[1], size[1]))


def fit_to_screen(window: QWidget) -> int:
    """Size `window` to the free part of its screen (its parent's, else the primary one);
    returns the width given."""
    free = window.screen().availableGeometry()
    size, smallest = window_size(free.width(), free.height())
    window.setMinimumSize(*smallest)
    window.resize(*size)
    return size[0]
