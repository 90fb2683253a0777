"""A warning strip above the image: what the readers found doubtful about the open scan.

The status bar forgets in seconds and stderr is not seen in a window; a scan that is
not CT (an 8-bit picture, an MR, no bone), has slices over 5 mm apart, a single slice, or
was read with a reader's warning (cut short, skipped files) must stay in view while the
user annotates it. The bar stays until the next scan is opened or it is dismissed.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

STYLE = "QFrame#warning_bar { background: #fff3cd; border: 1px solid #d39e00; }"
TEXT_STYLE = "color: #3d2c00;"


class WarningBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warning_bar")
        self.setStyleSheet(STYLE)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setStyleSheet(TEXT_STYLE)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide these warnings")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.lines: list[str] = []
        self.hide()

    def show_lines(self, heading: str, lines: list[str]) -> None:
        """Show `lines` under `heading` (no lines: hide the bar)."""
        self.lines = list(dict.fromkeys(lines))  # the same sentence from two layers once
        if not self.lines:
            self.hide()
            return
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        self.label.setText(
            f"<b>⚠ {html.escape(heading)}</b><ul style='margin: 2px 0 0 -20px'>{items}</ul>"
        )
        self.show()
