"""The Help menu: keyboard shortcuts (F1), the log folder, About VertApp.

`HelpMenu(window, host)` builds its actions and the menu (last in the menu bar) and holds
their slots. The About dialog collects its details in a worker (`about_info_job`) and is
kept once built, so opening it again is instant.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow

from vertapp import appinfo
from vertapp.gui.widgets.about_dialog import AboutDialog
from vertapp.gui.widgets.actions import StdKey, make_action
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.shortcuts_sheet import ShortcutsSheet, shortcut_rows
from vertapp.jobs import Job, Progress
from vertapp.logs import log_dir

log = logging.getLogger(__name__)


def about_info_job() -> Job[appinfo.AppInfo]:
    """What About shows, with the Qt runtime this window runs on."""
    yield Progress("collecting versions and licences")
    return appinfo.collect(qt_runtime=qVersion())


class HelpMenu:
    """Help > Keyboard shortcuts, Open log folder, About VertApp."""

    def __init__(self, window: QMainWindow, host: WindowHost) -> None:
        self.window = window
        self.host = host
        self.about: AboutDialog | None = None
        self.sheet: ShortcutsSheet | None = None
        self.act_shortcuts = make_action(
            window,
            "&Keyboard shortcuts…",
            self.show_shortcuts,
            StdKey.HelpContents,
            "Every command of the window and its keys",
        )
        if self.act_shortcuts.shortcut().isEmpty():  # platforms whose help key is unset
            self.act_shortcuts.setShortcut(QKeySequence("F1"))
        self.act_open_logs = make_action(
            window,
            "Open &log folder",
            self.open_log_folder,
            None,
            "The folder of the log files, to send with a problem report (no patient data)",
        )
        self.act_about = make_action(
            window, "&About VertApp…", self.show_about, None, "Versions, device and licences"
        )
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        menu = window.menuBar().addMenu("&Help")
        menu.addAction(self.act_shortcuts)
        menu.addAction(self.act_open_logs)
        menu.addSeparator()
        menu.addAction(self.act_about)
        self.menu = menu

    def show_shortcuts(self) -> ShortcutsSheet:
        """Read from the menus now: panels installed since the last time are included."""
        rows = shortcut_rows(self.window)
        if self.sheet is None:
            self.sheet = ShortcutsSheet(rows, self.host.dialog_parent())
        else:
            self.sheet.set_rows(rows)
        self.sheet.show()
        self.sheet.raise_()
        return self.sheet

    def show_about(self) -> AboutDialog:
        if self.about is None:
            self.about = AboutDialog(
                about_info_job, self.open_log_folder, self.host.dialog_parent()
            )
        self.about.show()
        self.about.raise_()
        return self.about

    def open_log_folder(self) -> bool:
        folder = log_dir()
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return True
        self.host.show_error(f"Could not open a file browser; the logs are in {folder}")
        return False
