"""What a read-only window shows of it: a bar above the image, a status-bar badge, and
editing controls greyed out with the reason as their tooltip.

Before, only the title said "(read-only)"; the reason was a status-bar message cut off
at 1280 px and replaced by the next one, while the tools stayed enabled and every
stroke or polygon was refused only once it was done, each time with another box.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

STYLE = "QFrame#read_only_bar { background: #e3edf7; border: 1px solid #4a78a8; }"
TEXT_STYLE = "color: #14324f;"
BADGE_STYLE = (
    "QLabel { background: #4a78a8; color: white; border-radius: 3px; padding: 0 6px; "
    "font-weight: bold; }"
)
SAVE_AS_TIP = "Save this project, with any unsaved edits, in a new folder you can edit"
# A control's tooltip while it is greyed out: why, and the way out
LOCKED_TIP = "Not in a read-only window: Save as copy… makes a copy you can edit"
OWN_TIP = "vertapp_own_tooltip"  # a control's own tooltip, kept while LOCKED_TIP replaces it


class ReadOnlyBar(QFrame):
    """`save_as()` when its button is pressed; shown while `show_reason` has a reason.

    Not the warning bar: that one is about the open scan, is cleared when the next one
    opens and can be dismissed; this one stays as long as the window is read-only."""

    save_as = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("read_only_bar")
        self.setStyleSheet(STYLE)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setStyleSheet(TEXT_STYLE)
        self.button = QPushButton("Save as copy…")
        self.button.setToolTip(f"{SAVE_AS_TIP} (File > Save project as…)")
        self.button.clicked.connect(lambda _=False: self.save_as.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_reason(self, reason: str) -> None:
        """Show why the window is read-only ("" hides the bar)."""
        self.label.setText(f"<b>Read-only.</b> {html.escape(reason)}")
        self.setVisible(bool(reason))


def read_only_badge() -> QLabel:
    """A small permanent "Read-only" in the status bar (hidden until needed)."""
    badge = QLabel("Read-only")
    badge.setObjectName("read_only_badge")
    badge.setStyleSheet(BADGE_STYLE)
    badge.hide()
    return badge


def lock(items: Iterable[QAction | QWidget], locked: bool) -> None:
    """Grey out `items` with LOCKED_TIP as their tooltip, or give back their own."""
    for item in items:
        own = item.property(OWN_TIP)
        if locked and own is None:
            item.setProperty(OWN_TIP, item.toolTip())
        elif not locked and own is not None:
            item.setToolTip(str(own))
            item.setProperty(OWN_TIP, None)
        if locked:
            item.setToolTip(LOCKED_TIP)
        item.setEnabled(not locked)
