"""Help > About: what runs here (versions, revision, device, folders) and the licences of
the third-party components shipped with it.

Everything shown comes from `vertapp.appinfo` (the installed distributions' metadata,
never a hand-written list). Collecting it imports torch and probes CUDA, seconds on a
cold start, so the dialog opens at once and a `JobWorker` fills it in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vertapp import __version__, licences
from vertapp.appinfo import AppInfo, format_text
from vertapp.gui.widgets.app_icon import app_icon
from vertapp.gui.widgets.worker import JobWorker
from vertapp.jobs import Job

log = logging.getLogger(__name__)
ICON_PX = 64
COLUMNS = ("Component", "Version", "Licence")
TAGLINE = "Offline workstation for labelling and reviewing vertebrae in CT and X-ray."


class AboutDialog(QDialog):
    """`info_job()` returns a job whose result is the `AppInfo` to show; `open_logs`
    (optional) opens the log folder. `info` is set once the job has finished."""

    def __init__(
        self,
        info_job: Callable[[], Job[AppInfo]],
        open_logs: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About VertApp")
        self.info: AppInfo | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._about_tab(), "About")
        self.tabs.addTab(self._licence_tab(), "Third-party licences")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy this report for a support request (no patient data)")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_report)
        if open_logs is not None:
            logs_button = buttons.addButton(
                "Open log folder", QDialogButtonBox.ButtonRole.ActionRole
            )
            logs_button.clicked.connect(lambda: open_logs())
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(720, 560)
        self.worker = JobWorker(info_job, self)
        self.worker.finished_ok.connect(self.show_info)
        self.worker.failed.connect(self._failed)
        # Quitting while torch is still being imported: let the thread end first.
        QCoreApplication.instance().aboutToQuit.connect(self._wait)  # type: ignore[union-attr]
        self.worker.start()

    # ------------------------------------------------------------ layout
    def _about_tab(self) -> QWidget:
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(ICON_PX, ICON_PX))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(f"<h2>VertApp {__version__}</h2>{TAGLINE}")
        title.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(icon)
        head.addWidget(title, 1)
        self.details = _report_box("Collecting versions, device and licences…")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addLayout(head)
        layout.addWidget(self.details, 1)
        return box

    def _licence_tab(self) -> QWidget:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_licence_text)
        self.licence_text = _report_box("Choose a component to read its licence.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.licence_text)
        split.setSizes([260, 200])
        return split

    # ------------------------------------------------------------- content
    def show_info(self, info: AppInfo) -> None:
        self.info = info
        self.details.setPlainText(format_text(_without_components(info)))
        self.tabs.setTabText(1, f"Third-party licences ({len(info.components)})")
        self.table.setRowCount(len(info.components))
        for row, comp in enumerate(info.components):
            for col, key in enumerate(("name", "version", "licence")):
                self.table.setItem(row, col, QTableWidgetItem(str(comp[key])))
        self.table.resizeColumnsToContents()
        self.copy_button.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.details.setPlainText(
            f"VertApp {__version__}\n\nCould not collect the details: {message}"
        )

    def _show_licence_text(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.info is None:
            return
        comp = self.info.components[rows[0].row()]
        self.licence_text.setPlainText(licence_report(comp))

    def copy_report(self) -> None:
        if self.info is not None:
            QGuiApplication.clipboard().setText(format_text(self.info))

    def _wait(self) -> None:
        if self.worker.isRunning():
            self.worker.wait()


def licence_report(comp: dict[str, Any]) -> str:
    """A component's licence as its metadata gives it: the name, the home page, the text."""
    head = f"{comp['name']} {comp['version']}: {comp['licence']}"
    if comp.get("homepage"):
        head += f"\n{comp['homepage']}"
    try:
        text = licences.licence_text(comp["name"])
    except Exception as err:  # metadata the frozen build lost: say so, keep the dialog
        log.warning("licence text of %s: %s", comp["name"], err)
        text = ""
    return f"{head}\n\n{text or 'No licence file is shipped in its metadata.'}"


def _without_components(info: AppInfo) -> AppInfo:
    from dataclasses import replace

    return replace(info, components=[])


def _report_box(placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(True)
    box.setPlainText(placeholder)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return box
