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


def browse_buttons(
    edit: QLineEdit, buttons: dict[str, tuple[str, Callable[[], None]]]
) -> QHBoxLayout:
    """A path field with one button per way to choose ("File…", "Folder…"): a Qt file
    dialog picks either files or folders, never both. `buttons`: text -> (tip, slot)."""
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    for text, (tip, slot) in buttons.items():
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False, s=slot: s())
        row.addWidget(button)
    return row
