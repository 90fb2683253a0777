"""The pair view: a window of its own for one low-/high-dose pair.

It runs the alignment (a core job, `vertapp.xray.pair`) in a worker with progress and
Cancel, shows the three images and the per-vertebra table, lets a vertebra be corrected by
hand (undoable) and exports the result. It takes a job factory, never the main window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from vertapp.gui.widgets.actions import StdKey, make_action
from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.xray.nudge import NudgeCommand
from vertapp.gui.xray.pair_images import PairImages
from vertapp.gui.xray.pair_table import PairTable
from vertapp.jobs import Job
from vertapp.xray.pair import Box, PairState, export_job

STEP_PX, TURN_DEG, GROW = 1.0, 0.5, 0.005  # one key press of a hand correction
NUDGE_KEYS: tuple[tuple[str, str | list[str], tuple[float, float, float, float]], ...] = (
    # text, key, (dx, dy, turn, scale)
    ("Move left", "Left", (-STEP_PX, 0.0, 0.0, 1.0)),
    ("Move right", "Right", (STEP_PX, 0.0, 0.0, 1.0)),
    ("Move up", "Up", (0.0, -STEP_PX, 0.0, 1.0)),
    ("Move down", "Down", (0.0, STEP_PX, 0.0, 1.0)),
    ("Turn counter-clockwise", "[", (0.0, 0.0, TURN_DEG, 1.0)),
    ("Turn clockwise", "]", (0.0, 0.0, -TURN_DEG, 1.0)),
    ("Grow", ["+", "="], (0.0, 0.0, 0.0, 1.0 + GROW)),
    ("Shrink", "-", (0.0, 0.0, 0.0, 1.0 / (1.0 + GROW))),
)


_RUNNING: set[JobWorker] = set()


def _keep(worker: JobWorker) -> JobWorker:
    """Hold a worker until its thread ends: a QThread destroyed while it runs aborts the
    process, and this window may be deleted with its parent while a job runs."""
    _RUNNING.add(worker)
    worker.finished.connect(lambda: _RUNNING.discard(worker))
    return worker


class PairWindow(QMainWindow):
    def __init__(self, factory: Callable[[], Job[PairState]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle("Low-/high-dose pair")
        self.factory = factory
        self.state: PairState | None = None
        self.worker: JobWorker | None = None
        self._running = False
        self.stack = QUndoStack(self)
        self.images = PairImages()
        for pane in (self.images.low_pane, self.images.fused_pane):
            pane.box.on_drag = self.drag
            pane.setToolTip(f"{pane.title}: Ctrl + drag moves the vertebra chosen in the table")
        self.table = PairTable()
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys nudge, not browse
        self.table.level_chosen.connect(self.zoom_to)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = ProgressBox()
        self.progress.cancel_button.clicked.connect(self.cancel)
        self.statusBar().addPermanentWidget(self.progress)
        self.setCentralWidget(self.images)
        self._build_dock()
        self._build_actions()
        self.resize(1400, 900)

    def _build_dock(self) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)
        dock = QDockWidget("Vertebrae", self)
        dock.setObjectName("dock_pair_table")
        dock.setWidget(box)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [560], Qt.Orientation.Horizontal)  # the reason column shows

    def _build_actions(self) -> None:
        a = make_action
        self.act_align = a(self, "&Align again", self.start, "Ctrl+R", "Run the alignment again")
        self.act_export = a(
            self, "&Export…", self.ask_export, "Ctrl+E", "Fused image, alignment.json, ZOIs"
        )
        self.act_fit = a(self, "&Fit", self.images.fit, "F", "Whole images in view")
        self.act_undo = self.stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(StdKey.Undo)
        self.act_redo = self.stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([StdKey.Redo, "Ctrl+Y"])  # type: ignore[list-item]
        self.addActions([self.act_undo, self.act_redo])
        self.nudge_actions = [
            a(self, f"{text} (chosen vertebra)", lambda s=step: self.nudge(s), key)
            for text, key, step in NUDGE_KEYS
        ]
        bar = self.addToolBar("Pair")
        bar.setObjectName("toolbar_pair")
        bar.addActions([self.act_align, self.act_export, self.act_fit])
        bar.addSeparator()
        bar.addActions([self.act_undo, self.act_redo])
        menu = self.menuBar().addMenu("&Pair")
        menu.addActions([self.act_align, self.act_export, self.act_fit])
        menu = self.menuBar().addMenu("&Correct")
        menu.addActions([self.act_undo, self.act_redo])
        menu.addSeparator()
        menu.addActions(self.nudge_actions)
        self._set_busy(False)

    # running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Align (again) in the worker; the table and images follow when it is done."""
        self._run(self.factory, "Aligning", self._on_aligned)

    def busy(self) -> bool:
        """A job runs, or its thread's end has not been handled yet."""
        return self._running

    def _run(self, factory: Callable[[], Job[Any]], text: str, on_done: Any) -> None:
        if self.busy():
            self.statusBar().showMessage("Still working: wait for it or cancel it.", 4000)
            return
        worker = _keep(JobWorker(factory))
        worker.progress.connect(self.progress.update_progress)
        worker.finished_ok.connect(on_done)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.finished.connect(lambda w=worker: self._on_thread_end(w) if isValid(self) else None)
        self.destroyed.connect(worker.cancel)  # the main window closed with this one open
        self.worker = worker
        self._running = True
        self.progress.start(text)
        self._set_busy(True)
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.progress.cancel_button.setEnabled(False)

    def _on_thread_end(self, worker: JobWorker) -> None:
        if worker is self.worker:
            self._running = False
            self.progress.finish()
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        ready = not busy and self.state is not None
        self.act_align.setEnabled(not busy)
        self.act_export.setEnabled(ready)
        for act in self.nudge_actions:
            act.setEnabled(ready)

    def _on_failed(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self.notes.setText(message)

    def _on_cancelled(self) -> None:
        self.statusBar().showMessage("Cancelled. Align again (Ctrl+R) to start over.")

    def _on_aligned(self, state: PairState) -> None:
        self.state = state
        self.stack.clear()
        tile = int(np.median([z.size_px for z in state.inputs.high_zois.values()]) // 3)
        self.images.set_images(state.inputs.low, state.inputs.high, state.fused, tile)
        rows = state.rows()
        self.table.show_rows(rows)
        self.notes.setText("\n".join(state.alignment.warnings))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        self.statusBar().showMessage(f"{len(rows)} vertebrae: {summary}")

    # review and correction -------------------------------------------------------------
    def zoom_to(self, level: str) -> None:
        if self.state is None:
            return
        x, y, w, h = self.state.inputs.high_zois[level].bbox
        self.images.zoom_to(self.state.box(level), None)
        self.images.high_pane.show_frame((x, y, x + w, y + h))  # where it is on the high dose

    def nudge(self, step: tuple[float, float, float, float]) -> None:
        level = self.table.chosen()
        if self.state is None or self.busy():
            return
        if level is None:
            self.statusBar().showMessage("Choose a vertebra in the table first.", 4000)
            return
        self.stack.push(NudgeCommand(self.state, level, step, self._on_corrected))

    def drag(self, dx: float, dy: float) -> None:
        """Ctrl + drag on the low-dose or fused view moves the chosen vertebra."""
        if dx or dy:
            self.nudge((dx, dy, 0.0, 1.0))

    def _on_corrected(self, level: str, box: Box) -> None:
        assert self.state is not None
        self.images.update_fused(self.state.fused, box)
        self.table.update_row(next(r for r in self.state.rows() if r.level == level))
        for pane in (self.images.low_pane, self.images.fused_pane):
            pane.show_frame(self.state.box(level))

    # export ----------------------------------------------------------------------------
    def ask_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the pair into a folder")
        if folder:
            self.export_to(Path(folder))

    def export_to(self, folder: Path) -> None:
        if self.state is None:
            return
        state = self.state
        self._run(lambda: export_job(state, folder), "Exporting", self._on_exported)

    def _on_exported(self, written: list[Path]) -> None:
        # no path in the message: folder names may carry a patient's name
        self.statusBar().showMessage(
            f"Exported the fused image, alignment and ZOIs ({len(written)} files)"
        )

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait(10000)
        super().closeEvent(event)
