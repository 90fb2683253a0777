"""File > Recover kept edits…: the project's kept edits, newest first; Recover, Delete, Close.

Only the widget: what each row says comes from the core (`annotations.kept_edits`), and
what Recover and Delete do from `KeptEditsPrompts`, handed in as two callables taking the
row's index and saying whether the dialog is done (True closes it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

INTRO = (
    "Edits set aside earlier: a crash recovery that failed, or the unsaved edits of a "
    "window whose project was opened in another window. Recovering shows them in the open "
    "project as unsaved edits; File > Save keeps them. Nothing is deleted unless you ask."
)


@dataclass(frozen=True)
class KeptRow:
    summary: str  # the list's line
    details: str  # what recovering it does, or why it is not offered
    offered: bool  # Recover is enabled: it replays and brings what is nowhere else


class KeptEditsDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        rows: list[KeptRow],
        recover: Callable[[int], bool],
        delete: Callable[[int], bool],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("kept_edits_dialog")
        self.setWindowTitle("Recover kept edits")
        self.setModal(True)  # the open project must not change under a chosen recovery
        self._recover, self._delete = recover, delete
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.list = QListWidget()
        # Long lines wrap rather than hide their end (what recovering does) off to the right.
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setAlternatingRowColors(True)  # a wrapped entry reads as one
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.recover_button = self._add(buttons, "Recover", QDialogButtonBox.ButtonRole.AcceptRole)
        self.delete_button = self._add(buttons, "Delete…", QDialogButtonBox.ButtonRole.ActionRole)
        self.recover_button.clicked.connect(lambda: self._act(self._recover))
        self.delete_button.clicked.connect(lambda: self._act(self._delete))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._show_row)
        self.resize(720, 400)
        self.set_rows(rows)

    @staticmethod
    def _add(
        buttons: QDialogButtonBox, text: str, role: QDialogButtonBox.ButtonRole
    ) -> QPushButton:
        button = buttons.addButton(text, role)
        button.setAutoDefault(False)  # Return must not delete or replace anything unasked
        return button

    def set_rows(self, rows: list[KeptRow]) -> None:
        """Show `rows` (after a delete: what is left), the first one selected."""
        self.rows = list(rows)
        self.list.clear()
        for row in self.rows:
            self.list.addItem(row.summary)
            self.list.item(self.list.count() - 1).setToolTip(row.details)
        self.list.setCurrentRow(0 if self.rows else -1)
        self._show_row(self.list.currentRow())

    def _show_row(self, index: int) -> None:
        row = self.rows[index] if 0 <= index < len(self.rows) else None
        self.details.setText(row.details if row else "No kept edits are left.")
        self.recover_button.setEnabled(row is not None and row.offered)
        self.delete_button.setEnabled(row is not None)

    def _act(self, action: Callable[[int], bool]) -> None:
        index = self.list.currentRow()
        if 0 <= index < len(self.rows) and action(index):
            self.accept()
