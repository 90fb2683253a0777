"""The 3D labels of issue #15 in the window: axial overlay, click-to-select, export.

After an edit of the current MIP's masks (debounced: `DEBOUNCE_MS` after the last one)
the masks are back-projected into the CT (`vertapp.backproject`) in a worker of this
controller, never on the GUI thread; the first run also prepares the CT (rays, bone),
later runs pass the last result so only the slab of the edited vertebrae is redone.
While a run is pending the axial slice shows the instant footprint-only preview.
Requests carry a generation number: a result for older masks (or another CT) is not
painted, and the newest masks start as soon as the worker is free. A left click on a
labelled voxel of the axial slice selects that vertebra's polygon on the MIP (the linked
cursor of `ImageController` marks the point as before).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid

from vertapp.annotations.model import Instance
from vertapp.backproject import BackProjection
from vertapp.errors import VertAppError
from vertapp.gui.annotate import editing
from vertapp.gui.document.document import Document
from vertapp.gui.document.open_jobs import OpenedCT
from vertapp.gui.model.child_process import run_in_process
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.axial_view import AxialView
from vertapp.gui.views.label_overlay import LabelOverlay
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.labels3d_jobs import (
    CtSource,
    ExportChoice,
    ct_source,
    export_labels_job,
    footprint_of,
)
from vertapp.gui.window.labels3d_process import LabelsProcess
from vertapp.gui.window.last_folder import EXPORTS, remember_folder
from vertapp.labels import ID_VERTEBRA

DEBOUNCE_MS = 600  # a drag or brush stroke is many edits: run once it has settled
OVERLAY_WAIT_MS = 2000  # a close waits this long for a cancelled overlay run's thread
PREVIEW = "3D labels: preview from the masks (updating…)"
PREPARING = "3D labels: preparing the CT…"
_RUNNING: set[JobWorker] = set()  # see `_keep`


def _keep(worker: JobWorker) -> JobWorker:
    """Hold a worker until its thread ends, whatever happens to the window.

    A QThread destroyed while it runs aborts the process; a window deleted without an
    accepted close (tests, a crash path) would take its child workers with it. Workers
    here have no parent and live in this set until `finished`; their slots check that
    the window still exists (`_alive`)."""
    _RUNNING.add(worker)
    worker.finished.connect(lambda: _RUNNING.discard(worker))
    worker.finished.connect(worker.deleteLater)
    return worker


class Labels3DController(QObject):
    """`updated()`: a back-projection for the current masks is on screen;
    `export_done(ok)`: File > Export 3D labels… has finished (or failed)."""

    updated = Signal()
    export_done = Signal(bool)

    def __init__(
        self, doc: Document, axial: AxialView, annot: AnnotationView, host: WindowHost
    ) -> None:
        super().__init__(axial)
        self.doc, self.axial, self.annot, self.host = doc, axial, annot, host
        self.overlay = LabelOverlay(axial.canvas)
        self.enabled = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._request)
        self.generation = 0  # bumped by every new set of masks; older results are stale
        self._ct: OpenedCT | None = None
        self._ct_serial = 0  # names the CT on screen to the child process
        self.process = LabelsProcess()  # prepares the CT once, keeps its last result
        self.shown: BackProjection | None = None  # the labels of the current masks
        self.pending: np.ndarray | None = None  # footprint waiting for / under a run
        self.worker: JobWorker | None = None
        self.export_worker: JobWorker | None = None
        self._retired: list[JobWorker] = []  # cancelled, still ending
        self.gui_ms: list[float] = []  # GUI-thread time of each update (benchmark)
        self._closed = False
        # which instances are masks (None: all); the model workflow may hide predictions
        # below its score threshold, as the MIP does (then call `schedule()` on a change)
        self.keep: Callable[[Instance], bool] | None = None
        doc.instances_changed.connect(self._on_instances_changed)
        doc.image_changed.connect(lambda _i: self._sync_ct())
        axial.slice_changed.connect(self._on_slice)
        axial.point_clicked.connect(self._on_axial_click)

    # -- state ---------------------------------------------------------------------------------
    def _current_ct(self) -> OpenedCT | None:
        cid = self.doc.current_id
        if cid is None or self.axial.volume is None:
            return None
        opened = self.doc.ct.get(cid)
        return opened if opened is not None and opened.volume is self.axial.volume else None

    def _sync_ct(self) -> None:
        """Another CT on screen (or none): forget the old one's work."""
        opened = self._current_ct()
        if opened is self._ct:
            return
        self._ct = opened
        self._ct_serial += 1
        self.shown = self.pending = None
        self.generation += 1
        self._retire_worker()
        self._paint()
        if opened is not None:
            self.schedule(0)

    def set_enabled(self, on: bool) -> None:
        """View > 3D labels on the axial slice."""
        self.enabled = on
        self.overlay.set_visible(on)
        if on:
            self._sync_ct()
            self.schedule(0)
        else:
            self.timer.stop()

    def schedule(self, delay_ms: int = DEBOUNCE_MS) -> None:
        if self.enabled and self._ct is not None and not self._closed:
            self.timer.start(delay_ms)

    def _on_instances_changed(self, image_id: object) -> None:
        if image_id == self.doc.current_id:
            self._sync_ct()
            self.schedule()

    # -- runs ----------------------------------------------------------------------------------
    def _request(self) -> None:
        """The masks settled: preview now, the 3D labels in the worker."""
        t0 = time.perf_counter()
        rec = self.doc.current
        if rec is None or self._ct is None:
            return
        try:
            footprint = footprint_of(rec, self.keep)
        except VertAppError as err:
            self.host.show_error(f"3D labels: {err}")
            return
        shown = None if self.shown is None else self.shown.footprint
        self.generation += 1  # whatever runs now is for older masks
        if shown is not None and np.array_equal(shown, footprint):
            self.pending = None  # an edit undone, a part relabelled: what is shown is right
        else:
            self.pending = footprint if footprint.any() else None
            if self.pending is None:
                self.shown = None
            self._start_if_idle()
        self._paint()
        self.gui_ms.append((time.perf_counter() - t0) * 1000)

    def _start_if_idle(self) -> None:
        if self.worker is not None or self.pending is None or self._ct is None or self._closed:
            return  # a running worker's end starts the newest masks
        ct, gen, footprint, serial = self._ct, self.generation, self.pending, self._ct_serial

        def job() -> Any:
            return self.process.labels_job(serial, ct.volume, ct.mip, footprint)

        worker = _keep(JobWorker(job))
        worker.finished_ok.connect(lambda res: self._on_result(worker, ct, gen, res))
        worker.failed.connect(lambda msg: self._on_failed(worker, ct, msg))
        worker.cancelled.connect(lambda: self._ended(worker))
        worker.finished.connect(lambda: self._forget(worker))
        self.worker = worker
        worker.start()

    def _alive(self) -> bool:
        return not self._closed and isValid(self) and isValid(self.axial)

    def _on_result(self, worker: JobWorker, ct: OpenedCT, gen: int, res: BackProjection) -> None:
        self._ended(worker)
        if ct is not self._ct or not self._alive():
            return  # another CT is on screen now
        if gen != self.generation:
            self._start_if_idle()  # stale: the newest masks go next
            return
        t0 = time.perf_counter()
        self.shown, self.pending = res, None
        self._paint()
        self.gui_ms.append((time.perf_counter() - t0) * 1000)
        if res.warnings:  # e.g. a mask drawn where the CT has no bone
            self.host.show_status("3D labels: " + "; ".join(res.warnings), 10000)
        self.updated.emit()

    def _on_failed(self, worker: JobWorker, ct: OpenedCT, message: str) -> None:
        self._ended(worker)
        if ct is self._ct and self._alive():
            self.pending = None
            self._paint()
            self.host.show_error(f"3D labels: {message}")

    def _ended(self, worker: JobWorker) -> None:
        if worker is self.worker:
            self.worker = None

    def _forget(self, worker: JobWorker) -> None:
        if worker in self._retired:
            self._retired.remove(worker)

    def _retire_worker(self) -> None:
        if self.worker is not None:
            self.worker.cancel()  # closes at its next step; its result is dropped
            self._retired.append(self.worker)
            self.worker = None

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """The window closes: stop the overlay run, let an export finish its files.

        The child first (within `labels3d_process.STOP_S` and an ending): the overlay's
        workers waiting on it end at once (a cancel), so the wait for them is short."""
        self._closed = True  # no new runs: signals during the close must not start one
        self.timer.stop()
        self._retire_worker()
        self.process.close()
        for worker in list(self._retired):
            if isValid(worker) and worker.isRunning():  # one ended may be deleted already
                worker.wait(OVERLAY_WAIT_MS)  # kept in _RUNNING if it still runs
        if self.export_worker is not None and self.export_worker.isRunning():
            self.export_worker.wait(timeout_ms)

    def busy(self) -> bool:
        return self.worker is not None or self.timer.isActive()

    # -- painting ------------------------------------------------------------------------------
    def _on_slice(self, _k: int) -> None:
        self._sync_ct()
        self._paint()

    def _paint(self) -> None:
        ct = self._ct
        if not self.enabled or ct is None:
            self.overlay.show_slice(None, (1.0, 1.0))
            return
        sx, sy, _ = ct.volume.spacing
        k = self.axial.index
        labels, caption = None, ""
        preview = self.process.preview if self.process.ct_id == self._ct_serial else None
        if self.pending is not None and preview is not None:
            labels, caption = preview.slice_preview(self.pending, k), PREVIEW
        elif self.pending is not None:
            caption = PREPARING
        elif self.shown is not None:
            labels = self.shown.labels[k]
        self.overlay.show_slice(labels, (sx, sy), caption)

    # -- click to select -----------------------------------------------------------------------
    def _on_axial_click(self, lps: object) -> None:
        ct, rec = self._ct, self.doc.current
        if ct is None or rec is None or not self.enabled:
            return
        k, j, i = ct.volume.lps_to_index(tuple(np.asarray(lps, dtype=float)))
        sx, sy, _ = ct.volume.spacing
        name = ID_VERTEBRA.get(self.overlay.label_at(float(i) * sx, float(j) * sy))
        if name is None:
            return
        found = [inst for inst in rec.instances if inst.label == name]
        if not found:
            self.host.show_status(f"{name}: no polygon of that name on this MIP", 5000)
            return
        if len(found) > 1:  # two of a name: the one under the linked cursor on the MIP
            xy = editing.lps_mip_point(ct.mip, lps)
            hit = self.annot.tool.hit_shape(*xy) if xy is not None else None
            found = [inst for inst in found if inst.id == hit] or found
        self.annot.tool.select(found[0].id)
        self.host.show_status(f"{name} selected (clicked on the axial slice)", 5000)

    # -- File > Export 3D labels… ---------------------------------------------------------------
    def export_source(self) -> CtSource:
        """What the CT on screen was read from: its own file, or the project's copy."""
        volume = None if self._ct is None else self._ct.volume
        return ct_source(volume, self.doc.current, self.doc.project.root)

    def can_seg(self) -> bool:
        """A SEG without asking for the original: the CT was read from a DICOM series."""
        return self._ct is not None and self.export_source().dicom

    def ask_export(self) -> None:
        """File > Export 3D labels…: the dialog, then `export`; refused before the dialog
        when there is nothing to export (it used to refuse only after OK)."""
        from vertapp.gui.window.labels3d_dialog import Export3DDialog

        if self._refuse_export():
            return
        # the project's folder, unless it may not be written: then the last export folder
        root = None if self.doc.write_refusal() else self.doc.project.root
        source = self.export_source()
        hidden = not self.doc.keep_names  # View > Hide names and paths
        dialog = Export3DDialog(
            self.host.dialog_parent(), root, source.dicom, source, names_hidden=hidden
        )
        if dialog.exec() == Export3DDialog.DialogCode.Accepted:
            choice = dialog.choice()
            remember_folder(EXPORTS, choice.folder)
            self.export(choice)

    def _refuse_export(self) -> bool:
        """True, having said why in words, when no export can start now."""
        ct, rec = self._ct, self.doc.current
        if ct is None or rec is None:
            self.host.show_error(
                "Export 3D labels needs a CT's MIP on screen with its CT (open a CT, "
                "or a project image made from one)"
            )
        elif self.export_worker is not None:
            self.host.show_error("An export of 3D labels is still running")
        elif not footprint_of(rec, self.keep).any():
            self.host.show_error("No vertebra masks (T1..L5) on this image to export")
        else:
            return False
        return True

    def export(self, choice: ExportChoice) -> bool:
        """Write the 3D labels of the current masks (in a worker); False if not started."""
        if self._refuse_export():
            return False
        refusal = self.doc.write_refusal(choice.folder)  # into a read-only project's folder
        if refusal:
            self.host.show_error(f"{refusal} Export into a folder outside the project instead.")
            return False
        ct, rec = self._ct, self.doc.current
        assert ct is not None and rec is not None  # _refuse_export made sure
        if choice.original is not None and not choice.original.exists():
            self.host.show_error(
                "Export 3D labels: the original CT chosen is not there (moved or deleted?); "
                "leave it empty to export from the project's copy"
            )
            return False
        footprint, source = footprint_of(rec, self.keep), self.export_source()
        there = [p.name for p in choice.paths() if p.exists()]
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        if (
            there
            and self.host.ask("Replace?", f"Replace {', '.join(there)}?", yes | no, yes) != yes
        ):
            return False

        def job() -> Any:  # in a child process of its own: the window never waits on it
            return run_in_process(
                export_labels_job, None, ct.volume, ct.mip, footprint, None, choice, source
            )

        on_copy = source.on_copy_grid and choice.original is None
        worker = _keep(JobWorker(job))
        worker.finished_ok.connect(lambda paths: self._on_exported(paths, on_copy))
        worker.failed.connect(self._on_export_failed)
        worker.cancelled.connect(lambda: self._on_export_failed("cancelled"))
        self.export_worker = worker
        self.host.show_status("Exporting 3D labels…")
        worker.start()
        return True

    def _on_exported(self, paths: list[Path], on_copy: bool = False) -> None:
        self.export_worker = None
        if not self._alive():
            return
        names = ", ".join(Path(p).name for p in paths)
        grid = " (on the grid of the project's LPS copy of the CT)" if on_copy else ""
        self.host.show_status(f"3D labels written{grid}: {names}", 10000)
        self.export_done.emit(True)

    def _on_export_failed(self, message: str) -> None:
        self.export_worker = None
        if not self._alive():
            return
        self.host.show_error(f"Export 3D labels: {message}")
        self.export_done.emit(False)
