"""The workstation window: project list, MIP with polygons, axial CT, labels, status.

The window wires widgets together and turns gestures into annotation
operations; the annotation, io and preprocess layers do the work.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vertapp.errors import VertAppError
from vertapp.gui.annotate import editing
from vertapp.gui.annotate.edit_controller import EditingMixin
from vertapp.gui.annotate.label_palette import LabelPalette, suggest_next
from vertapp.gui.document.document import Document
from vertapp.gui.document.open_jobs import OpenedCT, reload_ct_job
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.axial_view import AxialView
from vertapp.gui.views.polygon_tool import Mode
from vertapp.gui.widgets.heap import settle_heap
from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window.commands import CommandsMixin
from vertapp.gui.window.files_controller import FilesMixin
from vertapp.io.volume import display_name
from vertapp.labels import PARTS, VERTEBRAE

log = logging.getLogger(__name__)
AUTOSAVE_MS = 30_000


class MainWindow(FilesMixin, EditingMixin, CommandsMixin, QMainWindow):
    """`loaded(ok)` fires when an open (and its preprocessing) has finished."""

    loaded = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.doc = Document(self)
        self.annot = AnnotationView()
        self.axial = AxialView()
        self.labels = LabelPalette(VERTEBRAE)
        self.progress = ProgressBox()
        self.cursor_label = QLabel()
        self.worker: JobWorker | None = None
        self._gesture = 0
        self._last_error = ""
        self._pending_loaded = False
        self._job_done = True
        self._ct_loading = False
        self.setCentralWidget(self.annot)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self._build_status_bar()
        self._connect()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._update_title()
        self._update_enabled()
        self.resize(1600, 960)
        settle_heap()  # the imports above are long-lived: keep full GCs from rescanning them

    # ================================================================ layout
    def _build_docks(self) -> None:
        from vertapp.gui.window.project_panel import ProjectPanel

        self.panel = ProjectPanel()
        self.dock_project = self._dock("Project", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dock_labels = self._dock(
            "Labels", self._labels_box(), Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.dock_axial = self._dock("Axial CT", self.axial, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks(
            [self.dock_project, self.dock_axial], [260, 560], Qt.Orientation.Horizontal
        )

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

    def _labels_box(self) -> QWidget:
        box = QWidget()
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(35)
        self.opacity.setToolTip("Fill opacity of the polygons")
        self.show_polygons = QCheckBox("Show polygons")
        self.show_polygons.setChecked(True)
        self.brush_radius = QSpinBox()
        self.brush_radius.setRange(1, 50)
        self.brush_radius.setValue(int(self.annot.tool.brush_radius))
        self.brush_radius.setSuffix(" px")
        self.brush_radius.setToolTip("Brush / eraser radius in image pixels")
        self.brush_radius.valueChanged.connect(self._set_brush_radius)
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
        bar.addPermanentWidget(self.cursor_label)
        bar.addPermanentWidget(self.progress)

    def _connect(self) -> None:
        d, t = self.doc, self.annot.tool
        d.reset.connect(self._on_reset)
        d.image_changed.connect(self._show_image)
        d.instances_changed.connect(self._on_instances_changed)
        d.stack.cleanChanged.connect(self._update_title)
        d.stack.indexChanged.connect(self._update_title)
        self.panel.image_activated.connect(self._activate_row)
        self.labels.label_chosen.connect(self.choose_label)
        self.opacity.valueChanged.connect(lambda v: self.annot.set_opacity(v / 100))
        self.show_polygons.toggled.connect(self.annot.set_polygons_visible)
        self.show_polygons.toggled.connect(self.act_toggle_polygons.setChecked)
        self.axial.slice_changed.connect(self._on_slice_changed)
        self.axial.cursor_info.connect(self.cursor_label.setText)
        self.annot.canvas.mouse_moved.connect(self._report_mip_cursor)
        t.clicked.connect(self._on_mip_click)
        t.polygon_drawn.connect(self._on_polygon_drawn)
        t.vertex_moved.connect(
            lambda k, p, i, xy: self._edit(editing.move_vertex(k, p, i, xy, self._next_gesture()))
        )
        t.vertex_inserted.connect(self._on_vertex_inserted)
        t.vertex_deleted.connect(lambda k, p, i: self._edit(editing.delete_vertex(k, p, i)))
        t.polygon_moved.connect(
            lambda k, dx, dy: self._edit(editing.move_polygon(k, dx, dy, self._next_gesture()))
        )
        t.brush_stroke.connect(self._on_brush_stroke)
        t.context_menu.connect(self._show_context_menu)
        t.selection_changed.connect(lambda _k: self._update_enabled())
        t.mode_changed.connect(lambda _m: self._update_enabled())
        self.progress.cancel_button.clicked.connect(self.cancel_job)

    def run_job(self, factory: Any, text: str, on_done: Any) -> JobWorker | None:
        """Run a core job in a worker thread with the status-bar progress and Cancel."""
        if self.busy():
            self.show_error("Another task is still running; wait for it or cancel it.")
            return None
        if self.worker is not None:
            self.worker.wait()  # it has delivered its result; the thread is just ending
        worker = JobWorker(factory, self)
        worker.finished_ok.connect(self._mark_job_done)  # first: runs before on_done
        worker.failed.connect(self._mark_job_done)
        worker.cancelled.connect(self._mark_job_done)
        worker.progress.connect(self.progress.update_progress)
        worker.finished_ok.connect(on_done)
        worker.failed.connect(self._on_job_failed)
        worker.cancelled.connect(self._on_job_cancelled)
        worker.finished.connect(self.progress.finish)
        self.worker = worker
        self._job_done = False
        self.progress.start(text)
        worker.start()
        return worker

    def busy(self) -> bool:
        """A background job is running and has not delivered its outcome yet."""
        return self.worker is not None and self.worker.isRunning() and not self._job_done

    def _mark_job_done(self, *_args: object) -> None:
        self._job_done = True

    def cancel_job(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.progress.cancel_button.setEnabled(False)

    def _on_job_failed(self, message: str) -> None:
        self._ct_loading = False
        self.show_error(message)
        self._pending_loaded = True
        self._finish_pending_load(False)

    def _on_job_cancelled(self) -> None:
        self._ct_loading = False
        self.statusBar().showMessage("Cancelled", 5000)
        self._pending_loaded = True
        self._finish_pending_load(False)

    def show_error(self, message: str) -> None:
        """Errors go to the status bar and a non-blocking message box (never a traceback)."""
        self._last_error = message
        log.warning("%s", message)
        self.statusBar().showMessage(message, 15000)
        if self.isVisible() and not self.property("headless"):
            box = QMessageBox(QMessageBox.Icon.Warning, "VertApp", message, parent=self)
            box.setModal(False)
            box.show()

    # ------------------------------------------------------------ file dialogs
    def _set_brush_radius(self, value: int) -> None:
        self.annot.tool.brush_radius = float(value)

    # ================================================================ showing
    def _on_reset(self) -> None:
        ids = self.doc.image_ids
        names = [self.doc.project.images[i].file_name.rsplit("/", 1)[-1] for i in ids]
        self.panel.set_rows(
            names, lambda row: self.doc.status_word(self.doc.image_ids[row]), self.doc.title
        )
        self._set_label_set()
        self._update_title()
        if ids and self.doc.current_id is None:
            self.doc.set_current(ids[0])

    def _set_label_set(self) -> None:
        parts = self.doc.project.label_set == "parts"
        labels = PARTS if parts else VERTEBRAE
        if self.labels.labels != labels:
            new = LabelPalette(labels)
            new.label_chosen.connect(self.choose_label)
            self._labels_layout.replaceWidget(self.labels, new)
            self.labels.deleteLater()
            self.labels = new

    def _activate_row(self, row: int) -> None:
        if 0 <= row < len(self.doc.image_ids):
            self.doc.set_current(self.doc.image_ids[row])

    def step_image(self, step: int) -> None:
        ids = self.doc.image_ids
        if not ids:
            return
        row = ids.index(self.doc.current_id) if self.doc.current_id in ids else -1
        self._activate_row(int(np.clip(row + step, 0, len(ids) - 1)))

    def _show_image(self, image_id: int | None) -> None:
        if image_id is None:
            self.annot.set_image(None)
            self.axial.set_volume(None)
            return
        rec = self.doc.project.images[image_id]
        try:
            pixels = self.doc.pixels(image_id)
        except (OSError, VertAppError) as err:
            self.show_error(f"{rec.file_name}: cannot read the image ({err})")
            pixels = np.zeros((rec.height, rec.width), dtype=np.uint8)
        self.annot.set_image(pixels, f"{rec.file_name.rsplit('/', 1)[-1]}  ({rec.kind})")
        self.annot.set_shapes(self.doc.shapes(image_id))
        self.panel.select_row(self.doc.image_ids.index(image_id))
        self._show_ct(image_id)
        used = self.doc.labels_used(image_id)
        self.labels.set_current(suggest_next(used, used[-1] if used else None, self.labels.labels))
        self._update_enabled()

    def _show_ct(self, image_id: int) -> None:
        opened = self.doc.ct.get(image_id)
        self.dock_axial.setVisible(opened is not None or self.doc.project.label_set == "vertebrae")
        if opened is None:
            self.axial.set_volume(None)
            self.axial.set_canal([], -1)
            self.axial.info.setText("Source CT not loaded for this image")
            self.load_source_ct(image_id)
            return
        self.axial.set_volume(opened.volume)
        circles, spine = editing.canal_circles(opened.mip)
        self.axial.set_canal(circles, spine)
        self.annot.set_missing_rows(editing.rows_without_circle(opened.mip, opened.volume))
        self._on_slice_changed(self.axial.index)

    def load_source_ct(self, image_id: int | None = None) -> bool:
        """Re-read the CT behind a saved MIP (in the background) for the axial view."""
        image_id = self.doc.current_id if image_id is None else image_id
        if image_id is None or image_id in self.doc.ct:
            return False
        source = self.doc.ct_source(image_id)
        if source is None:
            return False
        path, prep = str(source[0]), str(source[1])

        def done(opened: OpenedCT) -> None:
            self._ct_loading = False
            self.doc.keep_ct(image_id, opened)
            if self.doc.current_id == image_id:
                self._show_ct(image_id)
            self._finish_pending_load(True)

        if self.busy():
            return False  # browsing fast: View > Load source CT reads it later
        worker = self.run_job(
            lambda: reload_ct_job(path, prep), f"Reading {display_name(path)}", done
        )
        self._ct_loading = worker is not None
        return self._ct_loading

    def _finish_pending_load(self, ok: bool) -> None:
        if self._pending_loaded:
            self._pending_loaded = False
            self.loaded.emit(ok)

    def fit_views(self) -> None:
        self.annot.canvas.viewbox.autoRange(padding=0.02)
        self.axial.canvas.viewbox.autoRange(padding=0.02)

    def _on_instances_changed(self, image_id: int) -> None:
        if image_id == self.doc.current_id:
            self.annot.set_shapes(self.doc.shapes(image_id))
            self._update_enabled()
        if image_id in self.doc.image_ids:
            self.panel.model.refresh_row(self.doc.image_ids.index(image_id))

    def _on_slice_changed(self, k: int) -> None:
        opened = self.doc.ct.get(self.doc.current_id) if self.doc.current_id is not None else None
        if opened is None:
            return
        self.annot.set_slice_row(editing.slice_row(opened.mip, opened.volume, k))

    def _on_mip_click(self, x: float, y: float) -> None:
        opened = self.doc.ct.get(self.doc.current_id) if self.doc.current_id is not None else None
        if opened is None:
            return
        k = editing.slice_of_mip_point(opened.mip, opened.volume, x, y)
        if k is not None:
            self.axial.set_slice(k)

    def _report_mip_cursor(self, x: float, y: float) -> None:
        rec = self.doc.current
        if rec is None:
            return
        text = editing.describe_mip_point(rec, self.doc.ct.get(rec.id), x, y)
        self.cursor_label.setText(text)

    def _update_title(self, *_args: object) -> None:
        name = self.doc.title or "no project"
        self.setWindowTitle(f"{name}[*] — VertApp")
        self.setWindowModified(self.doc.modified)

    def _update_enabled(self) -> None:
        has_image = self.doc.current is not None
        t = self.annot.tool
        selected = self.annot.layer.selected is not None
        for act in (self.act_draw, self.act_brush, self.act_eraser, self.act_select):
            act.setEnabled(has_image)
        self.act_finish.setEnabled(t.mode is Mode.DRAW)
        self.act_cancel.setEnabled(t.mode is Mode.DRAW)
        self.act_insert_vertex.setEnabled(selected)
        self.act_delete_vertex.setEnabled(selected)
        self.act_delete_polygon.setEnabled(selected)
        has_images = bool(self.doc.image_ids)
        for act in (self.act_save, self.act_save_as, self.act_export_coco, self.act_export_via):
            act.setEnabled(has_images)
