"""Issue #17/#19: the app icon on the window and dialogs, Help > About, the shortcuts sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication

from vertapp import __version__, licences
from vertapp.gui.window.shortcuts_sheet import OTHER, ShortcutRow, sheet_html, shortcut_rows

pytestmark = pytest.mark.gui
PORTABLE = QKeySequence.SequenceFormat.PortableText


def _opaque_share(icon, size: int) -> float:  # type: ignore[no-untyped-def]
    image = icon.pixmap(size, size).toImage()
    alpha = [image.pixelColor(x, y).alpha() for x in range(size) for y in range(size)]
    return sum(a > 128 for a in alpha) / len(alpha)


def test_window_and_dialogs_carry_the_app_icon(window) -> None:  # type: ignore[no-untyped-def]
    icon = window.windowIcon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= {16, 32, 256}
    # drawn, not an empty square: most of the 256 px icon is opaque
    assert _opaque_share(icon, 256) > 0.5
    # dialogs without an icon of their own get the application's
    assert QApplication.windowIcon().cacheKey() == icon.cacheKey()
    sheet = window.help.show_shortcuts()
    assert sheet.windowIcon().cacheKey() == icon.cacheKey()


def test_help_menu_is_last_and_lists_its_commands(window) -> None:  # type: ignore[no-untyped-def]
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus[-1] == "Help"
    entries = [a.text() for a in window.help.menu.actions() if not a.isSeparator()]
    assert entries == ["&Keyboard shortcuts…", "Open &log folder", "&About VertApp…"]
    assert window.help.act_shortcuts.shortcut().toString(PORTABLE) == "F1"


def test_about_shows_versions_folders_and_the_licences(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    about = window.help.show_about()
    qtbot.waitUntil(lambda: about.info is not None, timeout=60_000)
    text = about.details.toPlainText()
    assert text.startswith(f"VertApp {__version__} (revision ")
    for line in ("torch:", "SimpleITK:", "Qt (PySide6):", "Qt runtime", "CUDA:", "device:"):
        assert line in text
    assert about.info.log_dir in text and about.info.config_dir in text
    # the licence table is the installed distributions' metadata, one row each
    expected = licences.components()
    assert len(expected) > 10
    assert about.table.rowCount() == len(expected)
    rows = {
        about.table.item(r, 0).text(): about.table.item(r, 2).text()
        for r in range(about.table.rowCount())
    }
    assert rows == {c.name: c.licence for c in expected}
    assert "BSD" in rows["numpy"]
    assert about.tabs.tabText(1) == f"Third-party licences ({len(expected)})"
    # choosing a component shows the licence text its wheel ships
    row = list(rows).index("numpy")
    about.table.selectRow(row)
    shown = about.licence_text.toPlainText()
    assert shown.startswith("numpy ") and "Copyright" in shown
    # opened again: the same dialog, nothing collected twice
    assert window.help.show_about() is about


def test_about_copy_gives_the_full_report(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    about = window.help.show_about()
    qtbot.waitUntil(lambda: about.info is not None, timeout=60_000)
    about.copy_button.click()
    copied = QApplication.clipboard().text()
    assert f"VertApp {__version__}" in copied and "third-party components" in copied


def test_shortcuts_sheet_is_read_from_the_actions(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    rows = shortcut_rows(window, fmt=PORTABLE)
    by_command = {(r.menu, r.command): r.keys for r in rows}
    assert by_command[("Edit", "Undo")] == "Ctrl+Z"
    assert by_command[("Edit", "Redo")] == "Ctrl+Shift+Z, Ctrl+Y"
    assert by_command[("File", "Save")] == "Ctrl+S"
    assert by_command[("Edit > Label", "L1")]
    assert by_command[("Help", "Keyboard shortcuts")] == "F1"
    assert all(r.keys for r in rows)  # commands without a key are left out
    # F1 opens it; a key changed in the window shows on the next opening
    window.act_fit.setShortcut(QKeySequence("Ctrl+Alt+F"))
    window.help.act_shortcuts.trigger()
    sheet = window.help.sheet
    assert sheet is not None and sheet.isVisible()
    assert "Fit images to view" in sheet.text()
    assert (
        QKeySequence("Ctrl+Alt+F").toString(QKeySequence.SequenceFormat.NativeText) in sheet.text()
    )
    # a key on the window that no menu lists is still on the sheet
    from vertapp.gui.widgets.actions import make_action

    make_action(window, "Hidden helper", None, "Ctrl+Alt+J")
    assert (OTHER, "Hidden helper") in {(r.menu, r.command) for r in shortcut_rows(window)}


def test_shortcuts_sheet_filter_narrows_the_rows(window) -> None:  # type: ignore[no-untyped-def]
    sheet = window.help.show_shortcuts()
    sheet.filter.setText("undo")
    text = sheet.text()
    assert "Undo" in text and "Save" not in text
    sheet.filter.setText("no such command")
    assert "No command matches" in sheet.text()
    # command names are text, never markup
    html = sheet_html([ShortcutRow("Edit", "Copy <all>", "Ctrl+C")])
    assert "Copy &lt;all&gt;" in html and "<all>" not in html


def test_open_log_folder_opens_the_log_dir(window, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VERTAPP_LOG_DIR", str(tmp_path / "logs"))
    opened: list[str] = []

    def fake_open(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    window.help.act_open_logs.trigger()
    assert opened == [str(tmp_path / "logs")]
    # no file browser on this workstation: the folder is said in words
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    assert window.help.open_log_folder() is False
    assert str(tmp_path / "logs") in window._last_error
