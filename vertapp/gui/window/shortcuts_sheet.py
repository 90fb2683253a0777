"""Help > Keyboard shortcuts (F1): every command of the window with its keys.

The sheet is read from the window's menus when it opens, never typed by hand, so it
cannot drift from the keys that really work: a new action, a changed key or a panel
installed later (Model, review) shows up by itself. Actions that have a key but sit in
no menu are listed under "Other". Keys a view takes only while it has the keyboard (the
axial view's arrow keys: no action, or PgUp would be two shortcuts at once) come from the
view itself: a widget with `focus_keys()` and `focus_keys_title` gets a section.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

OTHER = "Other"


@dataclass(frozen=True)
class ShortcutRow:
    menu: str  # "Edit > Label"
    command: str  # the action's text without '&' and '…'
    keys: str  # "Ctrl+Z", several joined by ", "; "" when the command has none


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".…")


def _keys(action: QAction, fmt: QKeySequence.SequenceFormat) -> str:
    return ", ".join(s.toString(fmt) for s in action.shortcuts() if not s.isEmpty())


def shortcut_rows(
    window: QMainWindow,
    *,
    with_unbound: bool = False,
    fmt: QKeySequence.SequenceFormat = QKeySequence.SequenceFormat.NativeText,
) -> list[ShortcutRow]:
    """The window's commands in menu order (`with_unbound`: also those without a key)."""
    rows: list[ShortcutRow] = []
    seen: set[int] = set()

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} > {_plain(action.text())}")
                continue
            seen.add(id(action))
            keys = _keys(action, fmt)
            if (keys or with_unbound) and action.text():
                rows.append(ShortcutRow(path, _plain(action.text()), keys))

    for top in window.menuBar().actions():
        if isinstance(top.menu(), QMenu):
            walk(top.menu(), _plain(top.text()))  # type: ignore[arg-type]
    rows += _focus_rows(window, fmt)
    for action in window.findChildren(QAction):
        keys = _keys(action, fmt)
        if id(action) not in seen and keys and action.text() and action.isVisible():
            seen.add(id(action))
            rows.append(ShortcutRow(OTHER, _plain(action.text()), keys))
    return rows


def _focus_rows(window: QMainWindow, fmt: QKeySequence.SequenceFormat) -> list[ShortcutRow]:
    """The sections of the views that take keys while they have the keyboard."""
    rows: list[ShortcutRow] = []
    titles: set[str] = set()
    for widget in window.findChildren(QWidget):
        title = getattr(widget, "focus_keys_title", None)
        keys_of = getattr(widget, "focus_keys", None)
        if not isinstance(title, str) or keys_of is None or title in titles:
            continue  # one section per kind of view
        titles.add(title)
        rows += [ShortcutRow(title, words, keys) for words, keys in keys_of(fmt)]
    return rows


def sheet_html(rows: list[ShortcutRow], needle: str = "") -> str:
    """The rows as one table per menu; `needle` keeps rows whose command or keys hold it."""
    needle = needle.strip().lower()
    parts: list[str] = []
    current = None
    for row in rows:
        if needle and needle not in f"{row.command} {row.keys} {row.menu}".lower():
            continue
        if row.menu != current:
            if current is not None:
                parts.append("</table>")
            parts.append(f"<h3>{html.escape(row.menu)}</h3><table cellspacing='0' width='100%'>")
            current = row.menu
        parts.append(
            f"<tr><td width='65%'>{html.escape(row.command)}</td>"
            f"<td><b>{html.escape(row.keys)}</b></td></tr>"
        )
    if current is None:
        return "<p>No command matches.</p>"
    return "".join(parts) + "</table>"


class ShortcutsSheet(QDialog):
    """The sheet for `rows`, with a box that narrows it down as one types."""

    def __init__(self, rows: list[ShortcutRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("VertApp keyboard shortcuts")
        self.rows = rows
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a command or a key…")
        self.filter.setClearButtonEnabled(True)
        self.browser = QTextBrowser()
        self.filter.textChanged.connect(self._refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(560, 720)
        self._refresh()

    def set_rows(self, rows: list[ShortcutRow]) -> None:
        self.rows = rows
        self.filter.clear()
        self._refresh()

    def _refresh(self) -> None:
        self.browser.setHtml(sheet_html(self.rows, self.filter.text()))

    def text(self) -> str:
        return self.browser.toPlainText()
