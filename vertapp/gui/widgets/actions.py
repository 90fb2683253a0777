"""Every command of the main window as a QAction with its shortcut and tooltip.

Menus, toolbars and context menus all reuse these actions, so every edit is
reachable by a visible button, a menu entry and a key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

StdKey = QKeySequence.StandardKey


def make_action(
    parent: QWidget,
    text: str,
    slot: Callable[..., Any] | None = None,
    shortcut: str | StdKey | list[str] | None = None,
    tip: str = "",
    *,
    checkable: bool = False,
) -> QAction:
    action = QAction(text, parent)
    if isinstance(shortcut, list):
        action.setShortcuts([QKeySequence(s) for s in shortcut])
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    keys = ", ".join(s.toString() for s in action.shortcuts())
    action.setToolTip(
        f"{tip or text.replace('&', '').rstrip('.…')}" + (f" ({keys})" if keys else "")
    )
    action.setStatusTip(tip or text.replace("&", ""))
    action.setCheckable(checkable)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    parent.addAction(action)  # shortcuts work wherever the focus is in the window
    return action


def exclusive(parent: QWidget, actions: list[QAction]) -> QActionGroup:
    group = QActionGroup(parent)
    group.setExclusive(True)
    for a in actions:
        group.addAction(a)
    return group
