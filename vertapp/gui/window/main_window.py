"""The workstation window: project list, MIP with polygons, axial CT, labels, status.

The window lays out the views and composes small controllers, each given what it works
on (the document, views, the job runner) and the window only as a `WindowHost`:
  ImageController  the image on screen, its source CT, slice/cursor sync, `loaded`
  EditController   gestures and edit commands -> annotation operations (undoable)
  FilesController  open, save, export, recent files, the never-lose-work prompts
  ReadOnlyView     a read-only project: the bar above the image, the badge, tools greyed
  commands.py      every QAction, menu, toolbar and the context menu
The annotation, io and preprocess layers do the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vertapp.gui.annotate.brush_box import BrushBox
from vertapp.gui.annotate.edit_controller import EditController
from vertapp.gui.annotate.label_palette import LabelPalette
from vertapp.gui.annotate.part_actions import install_part_menu
from vertapp.gui.annotate.part_palette import PartPalette
from vertapp.gui.document.document import Document
from vertapp.gui.model.persistent_child import close_all
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.axial_view import AxialView
from vertapp.gui.views.polygon_tool import Mode
from vertapp.gui.widgets.app_icon import install_app_icon
from vertapp.gui.widgets.heap import settle_heap
from vertapp.gui.widgets.notice_boxes import NoticeBoxes
from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.gui.widgets.warning_bar import WarningBar
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window import commands
from vertapp.gui.window.drop_open import DropOpener
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.help_menu import HelpMenu
from vertapp.gui.window.image_controller import ImageController
from vertapp.gui.window.import_controller import ImportController
from vertapp.gui.window.job_runner import JobRunner
from vertapp.gui.window.labels3d_controller import Labels3DController
from vertapp.gui.window.project_panel import ProjectPanel
from vertapp.gui.window.read_only_view import ReadOnlyView
from vertapp.gui.window.view_shares import keep_central_share
from vertapp.labels import VERTEBRAE
from vertapp.xray.part_display import takes_parts

log = logging.getLogger(__name__)
T = TypeVar("T")


def _logged(step: Callable[[], T]) -> T | None:
    """`step()`, or None when it failed: logged with its traceback (closing goes on)."""
    try:
        return step()
    except Exception:
        log.exception("closing the window: %s failed", getattr(step, "__name__", step))
        return None


AUTOSAVE_MS = 30_000


class MainWindow(QMainWindow):
    """`loaded(ok)` fires when an open (and its preprocessing) has finished."""

    loaded = Signal(bool)
    # built by commands.build_actions / build_menus
    act_open_volume: QAction
    act_open_dicom: QAction
    act_open_radiograph: QAction
    act_open_project: QAction
    act_save: QAction
    act_save_as: QAction
    act_export_coco: QAction
    act_export_via: QAction
    act_export_labels3d: QAction
    act_import_ct: QAction
    act_show_labels3d: QAction
    act_quit: QAction
    act_undo: QAction
    act_redo: QAction
    act_select: QAction
    act_draw: QAction
    act_brush: QAction
    act_eraser: QAction
    act_finish: QAction
    act_cancel: QAction
    act_insert_vertex: QAction
    act_delete_vertex: QAction
    act_delete_polygon: QAction
    act_outline_below: QAction
    act_outline_above: QAction
    act_next_label: QAction
    act_next_slice: QAction
    act_prev_slice: QAction
    act_next_image: QAction
    act_prev_image: QAction
    act_fit: QAction
    act_load_ct: QAction
    act_toggle_polygons: QAction
    act_hide_identifiers: QAction
    act_train: QAction
    act_predict: QAction
    label_actions: dict[str, QAction]
    part_actions: list[QAction]
    preset_actions: list[QAction]
    menu_recent: QMenu
    menu_view: QMenu
    menu_model: QMenu

    def __init__(self) -> None:
        super().__init__()
        self.doc = Document(self)
        self.annot = AnnotationView()
        self.axial = AxialView()
        self.labels = LabelPalette(VERTEBRAE)
        self.progress = ProgressBox()
        self.cursor_label = QLabel()
        self._last_error = ""
        self.warning_bar = WarningBar()  # doubts about the open scan, kept in view
        self.notices = NoticeBoxes(self)
        self.setCentralWidget(self._central())
        self._build_docks()
        self.jobs = JobRunner(self.progress, self, self)
        self.images = ImageController(
            self.doc,
            self.annot,
            self.axial,
            self.dock_axial,
            self.panel,
            lambda: self.labels,
            self.cursor_label,
            self.jobs,
            self,
        )
        self.editor = EditController(
            self.doc, self.annot, lambda: self.labels, self.show_error, self.show_status
        )
        self.files = FilesController(self.doc, self, self.jobs, self.images)
        self.labels3d = Labels3DController(self.doc, self.axial, self.annot, self)
        self.importer = ImportController(self.doc, self, self.jobs, self.files)
        commands.build_actions(self, self.files, self.editor, self.images)
        commands.build_menus(self, self.files)
        self.part_actions = install_part_menu(self, self.editor)  # Edit > Part (radiograph)
        commands.build_toolbars(self)
        self.read_only_view = ReadOnlyView(self, self._central_layout)
        self.help = HelpMenu(self, self)  # last in the menu bar
        self.setWindowIcon(install_app_icon())  # dialogs get it from the application
        self._build_status_bar()
        self._connect()
        self.drops = DropOpener(self, self.files.open_path, self.show_status)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.files.autosave)
        self.autosave_timer.start()
        self.update_title()
        self._update_enabled()
        self.resize(1600, 960)
        settle_heap()  # the imports above are long-lived: keep full GCs from rescanning them

    # ================================================================ layout
    def _central(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.warning_bar)
        layout.addWidget(self.annot, 1)
        self._central_layout = layout
        return box

    def _build_docks(self) -> None:
        self.panel = ProjectPanel()
        self.dock_project = self._dock("Project", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dock_labels = self._dock(
            "Labels", self._labels_box(), Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.dock_axial = self._dock("Axial CT", self.axial, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks(
            [self.dock_project, self.dock_axial], [260, 560], Qt.Orientation.Horizontal
        )

    @qt_override
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        keep_central_share(self, event.oldSize().width(), event.size().width())

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_"))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def add_dock_panel(
        self, widget: QWidget, title: str, area: Qt.DockWidgetArea | None = None
    ) -> QDockWidget:
        """Hook for other panels (review, predictions): dock `widget` and list it under View."""
        dock = self._dock(title, widget, area or Qt.DockWidgetArea.BottomDockWidgetArea)
        self.menu_view.addAction(dock.toggleViewAction())
        return dock

    def add_model_actions(self, train: Any = None, predict: Any = None) -> None:
        """Hook for the ML GUI: connect and enable Model > Train… / Predict…."""
        commands.connect_model_actions(self, train, predict)

    def _labels_box(self) -> QWidget:
        box = QWidget()
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(35)
        self.opacity.setToolTip("Fill opacity of the polygons")
        self.show_polygons = QCheckBox("Show polygons")
        self.show_polygons.setChecked(True)
        self.brush_radius = BrushBox()
        self.brush_radius.setRange(1, 50)
        self.brush_radius.setValue(int(self.annot.tool.brush_radius))
        self.brush_radius.setSuffix(" px")
        self.brush_radius.setToolTip("Brush / eraser radius in image pixels")
        self.brush_radius.valueChanged.connect(self._set_brush_radius)
        # a step, Enter or Esc: the label keys and D go to the image again
        self.brush_radius.done.connect(lambda: self.annot.canvas.view.setFocus())
        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        row.addWidget(self.opacity, 1)
        row.addWidget(QLabel("Brush"))
        row.addWidget(self.brush_radius)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.labels)
        self._labels_layout = layout
        layout.addLayout(row)
        layout.addWidget(self.show_polygons)
        layout.addStretch(1)
        return box

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip("Zoom of the image (wheel zooms at the cursor; F fits)")
        self.annot.canvas.zoom_text.connect(self.zoom_label.setText)  # "" with no image
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.zoom_label)
        bar.addPermanentWidget(self.progress)

    def _connect(self) -> None:
        d, t = self.doc, self.annot.tool
        d.reset.connect(self._on_reset)
        d.image_changed.connect(self._update_enabled)
        d.image_changed.connect(self._set_label_set)  # a project may mix MIPs and radiographs
        d.instances_changed.connect(self._update_enabled)
        d.stack.cleanChanged.connect(self.update_title)
        d.stack.indexChanged.connect(self.update_title)
        d.stepped.connect(lambda words: self.show_status(words, 8000))  # "Undid … on image 4"
        self.images.loaded.connect(self.loaded)
        self.labels.label_chosen.connect(self.editor.choose_label)
        self.opacity.valueChanged.connect(lambda v: self.annot.set_opacity(v / 100))
        self.show_polygons.toggled.connect(self.annot.set_polygons_visible)
        self.show_polygons.toggled.connect(self.act_toggle_polygons.setChecked)
        t.context_menu.connect(lambda pos: commands.show_context_menu(self, self.editor, pos))
        t.selection_changed.connect(lambda _k: self._update_enabled())
        t.mode_changed.connect(lambda _m: self._update_enabled())

    def _set_brush_radius(self, value: int) -> None:
        self.annot.tool.brush_radius = float(value)

    # ================================================================ WindowHost
    def show_error(self, message: str) -> None:
        """Errors go to the status bar and a non-blocking message box (never a traceback);
        the same message again soon after gets no second box (NoticeBoxes)."""
        self._last_error = message
        log.warning("%s", message)
        self.statusBar().showMessage(message, 15000)
        if self.isVisible() and not self.property("headless"):
            self.notices.show(message)

    def show_status(self, message: str, ms: int = 0) -> None:
        self.statusBar().showMessage(message, ms)

    def show_warnings(self, heading: str, lines: list[str]) -> None:
        """Warnings about the open scan: a bar above the image until the next one opens."""
        for line in lines:
            log.warning("%s", line)
        self.warning_bar.show_lines(heading, lines)

    def ask(self, title: str, text: str, buttons: Any, default: Any) -> Any:
        """A question to the user; unattended runs (screenshots) get `default` without asking.

        `buttons`: Qt's standard buttons, or {standard button: its words} where Qt's own
        words ("Yes", "No") would not say what each answer does.
        """
        if self.property("headless"):
            return default
        if isinstance(buttons, dict):
            return ask_in_words(self, title, text, buttons)
        return QMessageBox.question(self, title, text, buttons)

    def ask_stop(self, text: str) -> bool:
        """Closing would stop the work `text` describes: True to stop it and close.

        Unattended runs stop it, as closing always did: no one is there to close later.
        """
        button = QMessageBox.StandardButton
        words = {button.Yes: "Stop and close", button.No: "Keep running"}
        return self.ask("Work still running", text, words, button.Yes) == button.Yes

    def update_title(self, *_args: object) -> None:
        name = self.files.shown_title() or "no project"  # no patient's name by default
        self.setWindowTitle(f"{name}[*] — VertApp")
        self.setWindowModified(self.doc.modified)
        self.read_only_view.follow()  # the title's "(read-only)" and all that goes with it

    def dialog_parent(self) -> QWidget:
        return self

    # ================================================================ what others call
    # (tests, the model workflow, benchmarks): thin doors to the controllers
    @property
    def worker(self) -> JobWorker | None:
        return self.jobs.worker

    def busy(self) -> bool:
        return self.jobs.busy()

    def open_path(self, path: str | Path) -> None:
        self.files.open_path(path)

    def save(self, folder: Path | None = None, *, wait: bool | None = None) -> bool:
        return self.files.save(folder, wait=wait)

    def export(self, path: Path, fmt: str) -> bool:
        return self.files.export(path, fmt)

    def wait_for_export(self) -> None:
        self.files.wait_for_export()

    @property
    def _save_worker(self) -> JobWorker | None:
        return self.files.save_worker

    @property
    def _export_worker(self) -> JobWorker | None:
        return self.files.export_worker

    def recent_files(self) -> list[str]:
        return self.files.recent_files()

    def _fill_recent(self) -> None:
        self.files.fill_recent(self.menu_recent)

    def set_mode(self, mode: Mode) -> None:
        self.editor.set_mode(mode)
        actions = {
            Mode.SELECT: self.act_select,
            Mode.DRAW: self.act_draw,
            Mode.BRUSH: self.act_brush,
            Mode.ERASER: self.act_eraser,
        }
        actions[mode].setChecked(True)

    def choose_label(self, label: str) -> None:
        self.editor.choose_label(label)

    def step_image(self, step: int) -> None:
        self.images.step_image(step)

    # ================================================================ state
    def _on_reset(self) -> None:
        ids = self.doc.image_ids
        names = [self.doc.project.images[i].file_name.rsplit("/", 1)[-1] for i in ids]
        self.panel.set_rows(
            names,
            lambda row: self.doc.status_word(self.doc.image_ids[row]),
            self.files.shown_title(),
        )
        self._set_label_set()
        self.update_title()
        if ids and self.doc.current_id is None:
            self.doc.set_current(ids[0])

    def _set_label_set(self, *_args: object) -> None:
        rec, project = self.doc.current, self.doc.project
        parts = takes_parts(project.labels, rec.kind if rec else None, project.label_set)
        if parts != isinstance(self.labels, PartPalette):
            new = PartPalette() if parts else LabelPalette(VERTEBRAE)
            self.editor.attach_palette(new)
            self._labels_layout.replaceWidget(self.labels, new)
            # now, not queued: deleteLater (and the layout's show of the new one) wait for
            # the event loop, and a swap inside a waiting save's loop left both palettes
            # drawn over each other
            new.show()
            self.labels.hide()
            self.labels.deleteLater()
            self.labels = new
            self.read_only_view.lock_palette(new)

    def _update_enabled(self, *_args: object) -> None:
        has_image = self.doc.current is not None
        editable = not self.doc.read_only  # greyed with why: ReadOnlyView
        t = self.annot.tool
        selected = self.annot.layer.selected is not None
        self.act_select.setEnabled(has_image)
        for act in (self.act_draw, self.act_brush, self.act_eraser):
            act.setEnabled(has_image and editable)
        self.act_finish.setEnabled(t.mode is Mode.DRAW)
        self.act_cancel.setEnabled(t.mode is Mode.DRAW or selected)  # Esc deselects too
        commands.name_cancel(self.act_cancel, drawing=t.mode is Mode.DRAW)
        self.act_insert_vertex.setEnabled(selected and editable)
        self.act_delete_vertex.setEnabled(selected and editable)
        self.act_delete_polygon.setEnabled(selected and editable)
        has_images = bool(self.doc.image_ids)
        self.act_save.setEnabled(has_images and editable)
        for act in (self.act_save_as, self.act_export_coco, self.act_export_via):
            act.setEnabled(has_images)

    def running_work(self) -> list[str]:
        """A sentence per running job that closing would stop and the user would miss."""
        work = []
        # The status-bar job (opening, importing) unless it is a source CT being read for
        # viewing: that one is read again on the next open, so it costs nothing.
        if self.jobs.busy() and not self.images.ct_loading:
            task = self.progress.label.text()
            work.append(
                f"A task in the status bar is still running ({task}). Closing stops it "
                "before it is finished and nothing of it is kept: an import adds nothing "
                "to the project."
            )
        workflow = getattr(self, "model_workflow", None)
        if workflow is not None:
            work += workflow.running_work()
        return work

    def _may_stop_work(self) -> bool:
        work = self.running_work()
        return not work or self.ask_stop("\n\n".join(work))

    @qt_override
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.files.wait_for_save()
        self.files.wait_for_export()  # let the file be written whole
        # Running work first: a prediction finishing while this is asked changes the
        # project, and the unsaved-edits question that follows then sees it. Nothing is
        # stopped until both are answered, so a Cancel on either leaves all running.
        if not self._may_stop_work() or not self.files.confirm_discard():
            event.ignore()
            return
        # The questions are answered: the window goes whatever a step below meets, and
        # every step runs (a failure is logged), so no thread or child outlives it and the
        # session is closed; edits not saved are in the journal already.
        for step in (self.jobs.stop, self.images.slices.flush, self._stop_background):
            _logged(step)
        problem = _logged(self.doc.close_session)
        if problem:  # discarded edits still on disk: said before the window goes
            self._tell_before_closing(problem)
        event.accept()

    def _stop_background(self) -> None:
        """End the worker threads and the child processes (predictions, 3D labels).

        The children first: each drops its job under way (its `finally` blocks run) and
        stops, or is ended after `STOP_S`, so the threads waiting on them end at once and
        a close waits seconds, not for a job's step. Without this the prediction child
        outlived the window (a daemon: ended only as Python exited)."""
        close_all()
        self.labels3d.shutdown()  # its worker thread must end before the window
        workflow = getattr(self, "model_workflow", None)
        if workflow is not None:  # training/prediction threads must end before the window
            workflow.shutdown()
        close_all()  # one a thread started meanwhile (it was sending its first request)

    def _tell_before_closing(self, message: str) -> None:
        """show_error's box is not modal, so it would close with the window: this one
        waits for OK (unattended runs get show_error, which logs it)."""
        if not self.isVisible() or self.property("headless"):
            self.show_error(message)
            return
        self._last_error = message
        log.warning("%s", message)
        QMessageBox.warning(self, "VertApp", message)


def ask_in_words(parent: QWidget, title: str, text: str, words: dict[Any, str]) -> Any:
    """A question whose standard buttons carry `words`; the last is the default (make it
    the answer that loses nothing: Enter is pressed without reading)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    for button, word in words.items():
        box.addButton(button).setText(word)
        box.setDefaultButton(button)
    box.exec()
    return box.standardButton(box.clickedButton())
