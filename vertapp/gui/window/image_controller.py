"""The image on screen: MIP and polygons, the axial CT behind it, slice and cursor sync.

It also says when an open has finished (`loaded`): after the project, and after the
source CT when one is being read for the first image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDockWidget, QLabel

from vertapp.errors import VertAppError
from vertapp.gui.annotate import editing
from vertapp.gui.annotate.label_palette import LabelPalette
from vertapp.gui.document.document import Document
from vertapp.gui.document.open_jobs import OpenedCT, reload_ct_job
from vertapp.gui.model.review_panel import AfterEdits
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.axial_view import AxialView
from vertapp.gui.window.axial_dock import AxialDock
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.job_runner import JobRunner
from vertapp.gui.window.names import shown_path
from vertapp.gui.window.project_panel import ProjectPanel
from vertapp.gui.window.slice_memory import SliceMemory


class ImageController(QObject):
    loaded = Signal(bool)

    def __init__(
        self,
        doc: Document,
        annot: AnnotationView,
        axial: AxialView,
        dock_axial: QDockWidget,
        panel: ProjectPanel,
        labels: Callable[[], LabelPalette],
        cursor_label: QLabel,
        jobs: JobRunner,
        host: WindowHost,
    ) -> None:
        super().__init__(jobs)
        self.doc, self.annot, self.axial, self.dock_axial = doc, annot, axial, dock_axial
        self.panel, self.labels, self.cursor_label = panel, labels, cursor_label
        self.jobs, self.host = jobs, host
        self.ct_loading = False
        self._pending_loaded = False
        self._ct_generation = 0  # bumped by every CT request; older reads are stale
        self._ct_wanted: int | None = None  # the newest image whose CT was asked for
        self._ct_reading: int | None = None  # the image whose CT the runner reads now
        self.slices = SliceMemory()  # each CT image's axial slice, as the user left it
        self.axial_dock = AxialDock(dock_axial)  # hidden beside a radiograph
        doc.image_changed.connect(self.show_image)
        # redrawn once an undo step, not once a vertebra of it: Shift+A on 17 predictions
        # redrew the outlines 17 times (35-70 ms an image); see AfterEdits
        self._changed: set[int] = set()
        self._redraw = AfterEdits(doc.stack, self._redraw_changed, self)
        doc.instances_changed.connect(self._on_instances_changed)
        panel.image_activated.connect(self.activate_row)
        panel.model.kind_of = lambda row: doc.project.images[doc.image_ids[row]].kind
        axial.slice_changed.connect(self._on_slice_changed)
        axial.cursor_info.connect(cursor_label.setText)
        axial.point_clicked.connect(self._on_axial_click)
        annot.canvas.mouse_moved.connect(self._report_mip_cursor)
        annot.tool.clicked.connect(self._on_mip_click)
        jobs.failed.connect(self._on_job_failed)
        jobs.cancelled.connect(self._on_job_cancelled)

    # -- "loaded" ------------------------------------------------------------------------------
    def report_loaded(self, ok: bool) -> None:
        """An open finished; if the source CT is still being read, say so after it."""
        if ok and self.ct_loading:
            self._pending_loaded = True
        else:
            self.loaded.emit(ok)

    def _finish_pending_load(self, ok: bool) -> None:
        if self._pending_loaded:
            self._pending_loaded = False
            self.loaded.emit(ok)

    def _on_job_failed(self, message: str) -> None:
        self.ct_loading = False
        self._ct_reading = None
        self.host.show_error(message)
        self._read_wanted_ct()
        self._pending_loaded = True
        self._finish_pending_load(False)

    def _on_job_cancelled(self) -> None:
        self.ct_loading = False
        self._ct_reading = None  # the user's cancel (a replaced read ends unheard)
        self._ct_wanted = None
        self.host.show_status("Cancelled", 5000)
        self._pending_loaded = True
        self._finish_pending_load(False)

    # -- browsing ------------------------------------------------------------------------------
    def activate_row(self, row: int) -> None:
        if 0 <= row < len(self.doc.image_ids):
            self.doc.set_current(self.doc.image_ids[row])

    def step_image(self, step: int) -> None:
        ids = self.doc.image_ids
        if not ids:
            return
        row = ids.index(self.doc.current_id) if self.doc.current_id in ids else -1
        self.activate_row(int(np.clip(row + step, 0, len(ids) - 1)))

    def show_image(self, image_id: int | None) -> None:
        self.slices.flush()  # where the image left was looked at, kept for next time
        if image_id is None:
            self.annot.set_image(None)
            self.axial.set_volume(None)
            return
        rec = self.doc.project.images[image_id]
        xray = rec.kind == "radiograph"  # shown on its own values, with window/level
        try:
            pixels = self.doc.raw_pixels(image_id) if xray else self.doc.pixels(image_id)
        except (OSError, VertAppError) as err:
            self.host.show_error(f"{rec.file_name}: cannot read the image ({err})")
            pixels = np.zeros((rec.height, rec.width), dtype=np.uint8)
        title = f"{rec.file_name.rsplit('/', 1)[-1]}  ({rec.kind})"
        self.annot.set_image(pixels, title, radiograph=xray)
        row = self.doc.image_ids.index(image_id) + 1  # no file name: it may name the patient
        self.cursor_label.setText(
            f"Image {row}/{len(self.doc.image_ids)}: {rec.width} x {rec.height} px"
        )
        self.annot.set_shapes(self.doc.shapes(image_id))
        self.panel.select_row(self.doc.image_ids.index(image_id))
        self._show_ct(image_id)
        used = self.doc.labels_used(image_id)
        self.labels().suggest(used, used[-1] if used else None)

    def _show_ct(self, image_id: int) -> None:
        opened = self.doc.ct.get(image_id)
        kind = self.doc.project.images[image_id].kind
        self.axial_dock.show_for(opened is not None or kind != "radiograph")
        if opened is None:
            self.axial.set_volume(None)
            self.axial.set_canal([], -1)
            self.axial.set_coverage("", False)
            self.annot.set_missing_rows(np.zeros(0))
            if self.load_source_ct(image_id):
                self.axial.set_info("Reading the source CT…")
            elif self.doc.ct_source(image_id) is not None:  # another task holds the runner
                self.axial.set_info("Source CT not read yet: View > Load source CT (Ctrl+L)")
            else:
                self.axial.set_info(self._ct_missing_text(image_id))
            return
        left_at = self.slices.recall(self.doc.project.root, image_id)
        self.axial.set_volume(opened.volume)  # at the middle slice
        if left_at is not None:
            self.axial.set_slice(left_at)  # where the user left this image
        circles, spine = editing.canal_circles(opened.mip)
        self.axial.set_canal(circles, spine)
        self.axial.set_coverage(*editing.canal_coverage_text(opened.mip))
        self.annot.set_missing_rows(editing.rows_without_circle(opened.mip, opened.volume))
        self._on_slice_changed(self.axial.index)

    def _ct_missing_text(self, image_id: int) -> str:
        """Why there is no axial view, and what to do about it."""
        rec = self.doc.project.images[image_id]
        if rec.kind != "mip":
            return "No CT behind this image"
        if not rec.source_path:
            return "Source CT not saved with this project: open the CT again to see its slices"
        return (
            f"Source CT {rec.source_path} not found in the project folder: put it back "
            "(or its preprocess/ folder), then View > Load source CT (Ctrl+L)"
        )

    def load_source_ct(self, image_id: int | None = None) -> bool:
        """Re-read the CT behind a saved MIP (in the background) for the axial view.

        Browsing fast asks for many CTs while one is read: only the newest request
        counts (a generation number, as image viewers do for stale tiles). A read for an
        image no longer shown is cancelled and left to end on its own (its result unused),
        and the newest starts at once: the GUI thread never waits for a stale read.
        """
        image_id = self.doc.current_id if image_id is None else image_id
        if image_id is None or image_id in self.doc.ct or self.doc.ct_source(image_id) is None:
            return False
        self._ct_generation += 1
        self._ct_wanted = image_id
        if not self.jobs.busy():
            return self._start_ct_read(image_id, self._ct_generation)
        if self._ct_reading is None:  # another task (an open): Ctrl+L reads it later
            self._ct_wanted = None
            return False
        if self._ct_reading != image_id:  # a stale read: replaced, it ends unheard
            return self._start_ct_read(image_id, self._ct_generation, replace=True)
        return True

    def _start_ct_read(self, image_id: int, generation: int, *, replace: bool = False) -> bool:
        source = self.doc.ct_source(image_id)
        if source is None:
            return False
        path, prep = str(source[0]), str(source[1])

        def done(opened: OpenedCT) -> None:
            self.ct_loading = False
            self._ct_reading = None
            self.doc.keep_ct(image_id, opened)
            if self.doc.current_id == image_id:
                self._show_ct(image_id)
            if generation != self._ct_generation:
                self._read_wanted_ct()
            if not self.ct_loading:
                self._finish_pending_load(True)

        worker = self.jobs.run(
            lambda: reload_ct_job(path, prep), f"Reading {shown_path(path)}", done, replace=replace
        )
        self.ct_loading = worker is not None
        self._ct_reading = image_id if worker is not None else None
        return self.ct_loading

    def _read_wanted_ct(self) -> None:
        """The runner is free again: read the newest wanted CT if it is still on screen."""
        wanted, self._ct_wanted = self._ct_wanted, None
        if wanted is not None and wanted == self.doc.current_id and wanted not in self.doc.ct:
            self._ct_wanted = wanted
            if not self._start_ct_read(wanted, self._ct_generation):
                self._ct_wanted = None
                self.axial.set_info(self._ct_missing_text(wanted))

    def fit_views(self) -> None:
        self.annot.canvas.fit()
        self.axial.canvas.fit()

    def _on_instances_changed(self, image_id: int) -> None:
        self._changed.add(image_id)
        self._redraw.schedule()

    def _redraw_changed(self) -> None:
        """The outlines and list rows of the images the last undo step changed."""
        changed, self._changed = self._changed, set()
        for image_id in changed:
            if image_id == self.doc.current_id:
                self.annot.set_shapes(self.doc.shapes(image_id))
                self.labels().follow(self.doc.labels_used(image_id))  # predicted ones count too
            if image_id in self.doc.image_ids:
                self.panel.model.refresh_row(self.doc.image_ids.index(image_id))

    # -- MIP <-> axial -------------------------------------------------------------------------
    def _current_ct(self) -> OpenedCT | None:
        cid = self.doc.current_id
        return self.doc.ct.get(cid) if cid is not None else None

    def _on_slice_changed(self, k: int) -> None:
        opened = self._current_ct()
        if opened is not None:
            self.annot.set_slice_row(editing.slice_row(opened.mip, opened.volume, k))
            if self.doc.current_id is not None:
                self.slices.remember(self.doc.project.root, self.doc.current_id, k)

    def _on_mip_click(self, x: float, y: float) -> None:
        opened = self._current_ct()
        if opened is None:
            return
        k = editing.slice_of_mip_point(opened.mip, opened.volume, x, y)
        if k is not None:
            self.axial.set_slice(k)
        # the linked cursor: the voxel this MIP pixel shows, marked on its slice
        self.axial.set_marker(editing.mip_point_lps(opened.mip, x, y))
        self.annot.set_marker((x, y))

    def _on_axial_click(self, lps: object) -> None:
        opened = self._current_ct()
        if opened is not None:
            self.annot.set_marker(editing.lps_mip_point(opened.mip, lps))

    def _report_mip_cursor(self, x: float, y: float) -> None:
        rec = self.doc.current
        if rec is not None:
            text = editing.describe_mip_point(rec, self.doc.ct.get(rec.id), x, y)
            film = self.annot.levels.film  # a radiograph's own value, as the W/L numbers
            if text and film is not None:
                text += f"   value {float(film[int(y), int(x)]):.6g}"
            self.cursor_label.setText(text)
