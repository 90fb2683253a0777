"""A path field with its "Browse…" button, as the train and predict panels show them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton


def browse_row(edit: QLineEdit, on_browse: Callable[[], None]) -> QHBoxLayout:
    browse = QPushButton("Browse…")
    browse.clicked.connect(lambda _checked=False: on_browse())
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row
