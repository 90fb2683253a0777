"""The pair view: a window of its own for one low-/high-dose pair.

It runs the alignment (a core job, `vertapp.xray.pair`) in a worker with progress and
Cancel, shows the three images and the per-vertebra table, lets a vertebra be corrected by
hand (undoable) and exports the result. It takes a job factory, never the main window.

Hand corrections live only here until exported, so closing the window (itself or with its
main window), Align again and Swap ask first when some are not exported (`keep_corrections`).

Which image is the low dose is said over the images, with what decided it, and Swap aligns
the pair the other way round (`pair_sides`). The window fits the screen it opens on
(`screen_fit`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from vertapp.gui.widgets.actions import StdKey, make_action
from vertapp.gui.widgets.progress_box import ProgressBox
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.gui.widgets.worker import JobWorker
from vertapp.gui.xray.keep_corrections import (
    CANCEL,
    DISCARD,
    EXPORT,
    Answer,
    Question,
    aligning_again,
    ask_box,
    closing,
    swapping,
)
from vertapp.gui.xray.nudge import NudgeCommand
from vertapp.gui.xray.pair_home import PAIR_EXPORTS, PairHome
from vertapp.gui.xray.pair_images import PairImages
from vertapp.gui.xray.pair_sides import RolesLine, Sides
from vertapp.gui.xray.pair_table import PairTable
from vertapp.gui.xray.screen_fit import fit_to_screen
from vertapp.jobs import Job
from vertapp.xray.align import SAME_SIZE
from vertapp.xray.alignment_file import current_warnings
from vertapp.xray.fuse import keep_words
from vertapp.xray.pair import Box, PairState, export_job
from vertapp.xray.pair_captions import captions
from vertapp.xray.pair_files import film_notes

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
# the dock's width when first shown, of the window's width and at most (`_fit_dock` then
# widens it where the essential columns need more)
TABLE_SHARE, TABLE_MOST = 0.42, 560
NOT_HALFWAY = "An export is not stopped halfway: it would leave new and old files mixed"
CANNOT_ALIGN = "Cannot align this pair"
FUSE_WARNED_TIP = (
    "Also fuse the vertebrae warned for torsion or an inconsistent placement (by default "
    "they keep their low-dose pixels, as failed ones do); the export follows this choice"
)


def _keep(worker: JobWorker) -> JobWorker:
    """Hold a worker until its thread ends: a QThread destroyed while it runs aborts the
    process, and this window may be deleted with its parent while a job runs."""
    _RUNNING.add(worker)
    worker.finished.connect(lambda: _RUNNING.discard(worker))
    return worker


class PairWindow(QMainWindow):
    def __init__(
        self,
        factory: Callable[[], Job[PairState]],
        parent: QWidget | None = None,
        sides: Sides | None = None,
        home: PairHome | None = None,
    ):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle("Low-/high-dose pair")
        self.factory = factory
        self.sides = sides  # None: this pair cannot be swapped (tests, tools)
        self.home = home or PairHome()
        self.state: PairState | None = None
        self.worker: JobWorker | None = None
        self._running = False
        self._cancellable = True  # the running job may be cancelled (an export may not)
        self._on_done: Callable[[Any], None] = lambda _result: None
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
        self._read_notes: list[str] = []  # the films' doubts (the alignment's: `_show_notes`)
        self._refused = ""  # why the last export was refused, over those notes until done
        self._refusal = ""  # why these films can never be aligned (sizes differ); "" if not
        self.failure = QLabel()  # shown in place of the images when nothing was aligned
        self.failure.setWordWrap(True)
        self.failure.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.failure.setMargin(24)
        self.failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = ProgressBox()
        self.progress.cancel_button.clicked.connect(self.cancel)
        self.statusBar().addPermanentWidget(self.progress)
        self._build_actions()
        self.roles = RolesLine(self.act_swap)
        self.roles.show_verdict(sides.verdict() if sides is not None else None)
        self._build_central()
        fit_to_screen(self)
        self._build_dock()
        self._dock_sized = False  # its width is set when first shown (`showEvent`)
        self._main = parent.window() if parent is not None else None
        if self._main is not None:  # its main window closing would drop this one unasked
            self._main.installEventFilter(self)

    def _build_central(self) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.roles)
        self.views = QStackedWidget()
        self.views.addWidget(self.images)
        self.views.addWidget(self.failure)
        layout.addWidget(self.views, 1)
        self.setCentralWidget(box)

    def _build_dock(self) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)
        self.dock = QDockWidget("Vertebrae", self)
        self.dock.setObjectName("dock_pair_table")
        self.dock.setWidget(box)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)

    @qt_override
    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        """Give the dock its share of the width the window is first shown at, not of the
        size it opened at (a window resized before it is shown, as tools and tests do)."""
        super().showEvent(event)
        if not self._dock_sized:
            self._dock_sized = True
            width = min(TABLE_MOST, int(TABLE_SHARE * self.width()))
            self.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)

    def _fit_dock(self) -> None:
        """Widen the table until its essential columns (level to scale) show unscrolled:
        their widths are known only once filled, and the share may be less. A window shown
        at 784 px has ~260 px left beside the views' controls (519 px at least), and
        widened later it gives all the growth to the views: rotation and scale scrolled."""
        need = self.table.essential_width()
        self.table.setMinimumWidth(need)  # nor may the dock be dragged narrower
        extra = max(self.dock.width() - self.table.width(), 0)  # the dock's frame, margins
        # the rest of the wanted width only while the views keep half the window
        want = max(need, min(self.table.wanted_width(), self.width() // 2 - extra - 1))
        if self.table.width() < want:
            self.resizeDocks([self.dock], [want + extra], Qt.Orientation.Horizontal)

    def _build_actions(self) -> None:
        a = make_action
        self.act_align = a(self, "&Align again", self.start, "Ctrl+R", "Run the alignment again")
        self.act_export = a(
            self, "&Export…", self.ask_export, "Ctrl+E", "Fused image, alignment.json, ZOIs"
        )
        self.act_fit = a(self, "&Fit", self.images.fit, "F", "Whole images in view")
        tip = "Take the other image as the low dose and align again"
        self.act_swap = a(self, "&Swap low/high dose", self.swap, None, tip)
        self.act_fuse_warned = a(
            self, "Fuse &warned vertebrae too", self.fuse_warned, None, FUSE_WARNED_TIP
        )
        self.act_fuse_warned.setCheckable(True)
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
        menu.addActions([self.act_align, self.act_swap, self.act_export, self.act_fit])
        menu.addSeparator()
        menu.addAction(self.act_fuse_warned)
        menu = self.menuBar().addMenu("&Correct")
        menu.addActions([self.act_undo, self.act_redo])
        menu.addSeparator()
        menu.addActions(self.nudge_actions)
        self._set_busy(False)

    # running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Align (again) in the worker; the table and images follow when it is done. Hand
        corrections not exported are lost by that: asked first."""
        if self.busy():
            self.statusBar().showMessage("Still working: wait for it or cancel it.", 4000)
            return
        if self._may_drop_corrections(aligning_again):
            self._run(self.factory, "Aligning", self._on_aligned)

    def swap(self) -> None:
        """Align the pair the other way round (low dose as high); the window takes the swap
        once that alignment is done, so a cancelled or failed one leaves it as it was."""
        if self.sides is None:
            return
        if self.busy():
            self.statusBar().showMessage("Still working: wait for it or cancel it.", 4000)
            return
        if not self._may_drop_corrections(swapping):
            return
        this_way, sides = self.factory, self.sides

        def swapped(state: PairState) -> None:
            self.factory, self.sides = sides.other_way, sides.swapped(this_way)
            self.roles.show_verdict(self.sides.verdict())
            self._on_aligned(state)

        self._run(sides.other_way, "Aligning the other way round", swapped)

    def busy(self) -> bool:
        """A job runs, or its thread's end has not been handled yet."""
        return self._running

    def _run(
        self,
        factory: Callable[[], Job[Any]],
        text: str,
        on_done: Callable[[Any], None],
        cancellable: bool = True,
    ) -> None:
        if self.busy():
            self.statusBar().showMessage("Still working: wait for it or cancel it.", 4000)
            return
        worker = _keep(JobWorker(factory))
        worker.progress.connect(self.progress.update_progress)
        # its end is read from the worker on the GUI thread (the thread's end, queued), so a
        # close that waits for the job can handle it at once and the late signal is a no-op
        worker.finished.connect(lambda w=worker: self._on_thread_end(w) if isValid(self) else None)
        self.destroyed.connect(worker.cancel)  # the main window closed with this one open
        self.worker, self._on_done, self._cancellable = worker, on_done, cancellable
        self._running = True
        self.progress.start(text)
        self._show_cancel(cancellable)
        self._set_busy(True)
        worker.start()

    def _show_cancel(self, cancellable: bool) -> None:
        button = self.progress.cancel_button
        button.setEnabled(cancellable)
        button.setToolTip("" if cancellable else NOT_HALFWAY)

    def cancel(self) -> None:
        if self.worker is not None and self._cancellable:
            self.worker.cancel()
            self.progress.cancel_button.setEnabled(False)

    def _on_thread_end(self, worker: JobWorker) -> None:
        if worker is not self.worker or not self._running:
            return  # a stale signal, or handled already (`_settle`)
        self._running = False
        self.progress.finish()
        if worker.error is not None:
            self._on_failed(worker.error)
        elif worker.was_cancelled:
            self._on_cancelled()
        else:
            self._on_done(worker.result)
        self._set_busy(False)

    def _settle(self) -> None:
        """End the running job now and handle its end here, not later from the event queue.
        An alignment is cancelled (nothing of it is shown yet); an export is let finish:
        cancelled partway it would leave a new fused.png beside an old alignment.json."""
        worker = self.worker
        if worker is None or not self._running:
            return
        if self._cancellable:
            worker.cancel()
            # a model reading the images may not see the cancel for a while: the window goes
            # on without it (`_keep` holds the thread until it ends)
            ended = worker.wait(10000)
        else:
            ended = worker.wait()
        if ended:
            self._on_thread_end(worker)

    def _wait_for_export(self) -> None:
        if self._running and not self._cancellable:
            self._settle()

    def _set_busy(self, busy: bool) -> None:
        ready = not busy and self.state is not None
        # films that can never be aligned (sizes differ): aligning again or swapped fails
        # the same way, so neither is offered; their tips say why
        possible = not self._refusal
        self.act_align.setEnabled(not busy and possible)
        self.act_swap.setEnabled(not busy and self.sides is not None and possible)
        for act, tip in (
            (self.act_align, "Run the alignment again"),
            (self.act_swap, "Take the other image as the low dose and align again"),
        ):
            act.setToolTip(tip if possible else self._refusal)
        self.act_export.setEnabled(ready)
        self.act_fit.setEnabled(self.state is not None)
        self.act_fuse_warned.setEnabled(ready)
        for act in self.nudge_actions:
            act.setEnabled(ready)
        # an undo while a job runs would change the alignment an export is writing
        self.act_undo.setEnabled(not busy and self.stack.canUndo())
        self.act_redo.setEnabled(not busy and self.stack.canRedo())

    def _on_failed(self, message: str) -> None:
        """Said in a box and in place of the images when nothing was aligned (not only in
        the status bar beside three black panes); films of different sizes can never be
        aligned, so Align again and Swap are greyed out with the reason as their tip."""
        self.statusBar().showMessage(message)
        self.notes.setText(message)
        if SAME_SIZE in message:
            self._refusal = (
                f"{message[0].upper()}{message[1:]}. These two films cannot be paired: "
                "choose a low- and a high-dose film of the same size (the same view, "
                "uncropped)."
            )
        if self.state is None:
            self.failure.setText(self._refusal or f"Not aligned: {message}")
            self.views.setCurrentWidget(self.failure)
        self.tell(CANNOT_ALIGN, self._refusal or message)

    def _on_cancelled(self) -> None:
        self.statusBar().showMessage("Cancelled. Align again (Ctrl+R) to start over.")

    def _on_aligned(self, state: PairState) -> None:
        self.state = state
        state.set_fuse_warned(self.act_fuse_warned.isChecked())
        self.views.setCurrentWidget(self.images)
        self.stack.clear()
        tile = int(np.median([z.size_px for z in state.inputs.high_zois.values()]) // 3)
        self.images.set_images(state.inputs.low, state.inputs.high, state.fused, tile)
        rows = state.rows()
        self.table.show_rows(rows)
        self._show_captions()
        self._fit_dock()
        # the films' read doubts first: what was read decides what the rest is worth
        self._read_notes = film_notes(state.inputs)
        self._refused = ""
        self._show_notes()
        self.statusBar().showMessage(state.summary())

    def _show_captions(self) -> None:
        """Every vertebra's level on the three views, as check.png writes them."""
        if self.state is None:
            return
        found = captions(self.state)
        self.images.show_captions(
            {c.level: (c.high_at, c.rgb, c.rank) for c in found},
            {c.level: (c.low_at, c.rgb, c.rank) for c in found},
        )

    def fuse_warned(self) -> None:
        """Fuse the warned vertebrae too, or keep their low-dose pixels, as the action is
        checked (the export follows)."""
        if self.state is None or self.busy():
            return
        self.state.set_fuse_warned(self.act_fuse_warned.isChecked())
        self.images.update_fused(self.state.fused, (0, 0, *self.state.fused.shape[::-1]))
        self.table.show_rows(self.state.rows())
        self._show_notes()
        self.statusBar().showMessage(self.state.summary())

    # review and correction -------------------------------------------------------------
    def zoom_to(self, level: str) -> None:
        if self.state is None:
            return
        self.images.zoom_to(self.state.zoi_corners(level), self.state.landing(level))

    def _frame_chosen(self) -> None:
        """Frame the chosen vertebra as it is now, on all three views alike. Before, the
        low-dose and fused frames were the padded region a nudge redraws (larger than the
        ZOI, taking in the neighbours) and followed the vertebra undone, not the one chosen."""
        level = self.table.chosen()
        if self.state is not None and level is not None:
            self.images.show_frames(self.state.zoi_corners(level), self.state.landing(level))

    def nudge(self, step: tuple[float, float, float, float]) -> None:
        """Correct the chosen vertebra by `step`: (dx px, dy px, turn deg, scale factor), the
        factor 1.0 for no change (`NUDGE_KEYS`)."""
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
        # every row: the check across vertebrae ran again (`PairState.set_similarity`), so
        # a neighbour's status and warnings may have changed with this one's place
        self.table.show_rows(self.state.rows())
        self._show_captions()  # its place and colour, and any neighbour's new colour
        self._fit_dock()  # a status grown wider ("by hand") widened its column
        self._frame_chosen()
        self._show_notes()
        self.statusBar().showMessage(self.state.summary())

    # export ----------------------------------------------------------------------------
    def ask_export(self) -> None:
        folder = self._choose_folder()
        if folder is not None:
            self.export_to(folder)

    def _choose_folder(self) -> Path | None:
        folders = self.home.folders
        start = folders.last_folder(PAIR_EXPORTS)
        folder = QFileDialog.getExistingDirectory(self, "Export the pair into a folder", start)
        if not folder:
            return None
        folders.remember_choice(PAIR_EXPORTS, folder)  # the next pair goes beside it
        return Path(folder)

    def export_to(self, folder: Path) -> None:
        """Export in the worker; refused, in words, into a project open read-only."""
        if self.state is None:
            return
        refusal = self.home.refusal(folder)
        if refusal:
            self._refuse(refusal)
            return
        state = self.state
        self._run(lambda: export_job(state, folder), "Exporting", self._on_exported, False)

    def _refuse(self, refusal: str) -> None:
        """An export refused: said in a box (the folder was just chosen in a dialog, and a
        close waiting on this export stays open), over the notes under the table, where it
        is read whole until an export is done, and in the status bar. The alignment's
        warnings stay in the notes."""
        self.statusBar().showMessage(refusal)
        self._refused = refusal
        self._show_notes()
        self.tell("Not exported here", refusal)

    def _show_notes(self) -> None:
        refused = [self._refused] if self._refused else []
        # the alignment's warnings as its records are now: a hand correction drops some
        said = current_warnings(self.state.alignment) if self.state is not None else []
        self.notes.setText("\n".join(refused + self._read_notes + said + self._fused_note()))

    def _fused_note(self) -> list[str]:
        """Which vertebrae the fused image leaves out and why, as alignment.json says."""
        if self.state is None:
            return []
        rows = [r for r in self.state.rows() if r.not_fused]
        if not rows:
            return []
        names = ", ".join(f"{r.level} ({r.not_fused})" for r in rows)
        return [f"Fused image: {names} {keep_words(len(rows))}"]

    def _on_exported(self, written: list[Path]) -> None:
        # nothing can change the corrections while an export runs (`_set_busy`): what is
        # shown now is what was written
        self.stack.setClean()
        if self._refused:
            self._refused = ""
            self._show_notes()
        # no path in the message: folder names may carry a patient's name
        self.statusBar().showMessage(
            f"Exported the fused image, check image, alignment and ZOIs ({len(written)} files)"
        )

    # unexported corrections --------------------------------------------------------------
    def unexported(self) -> list[str]:
        """Vertebrae corrected by hand and not exported as they are now (spine order)."""
        if self.state is None or self.stack.isClean():
            return []
        return [level for level in self.table.levels if level in self.state.corrected]

    def ask(self, question: Question, default: Answer) -> Answer:
        """Every question of this window, as the main window's `ask`: unattended runs get
        `default` without asking."""
        if self.unattended():
            return default
        return ask_box(self, question)

    def tell(self, title: str, text: str) -> None:
        """Something the user must read whole (a refusal): a box; unattended runs get none
        (the notes and the status bar say it too)."""
        if not self.unattended():
            QMessageBox.warning(self, title, text)

    def unattended(self) -> bool:
        """Marked "headless", this window or its main window, as the main window decides
        (`vertapp gui --screenshot`, tests): not by the Qt platform, so a test on the
        offscreen platform can still see the questions a user would be asked."""
        parent = self.parentWidget()
        main = parent.window() if parent is not None else None
        return bool(self.property("headless") or (main is not None and main.property("headless")))

    def _may_drop_corrections(self, question: Callable[[list[str]], Question]) -> bool:
        """True when nothing would be lost, or the corrections were exported, or the user
        chose to go on without them. Unattended: keep them (no)."""
        levels = self.unexported()
        if not levels:
            return True
        answer = self.ask(question(levels), CANCEL)
        if answer == EXPORT:
            return self._export_and_wait()
        return answer == DISCARD

    def _export_and_wait(self) -> bool:
        """Export into a folder asked for, and wait for it (as the main window saves before
        closing): True once the corrections are on disk. A failed export says why and keeps
        the window."""
        folder = self._choose_folder()
        if folder is None:
            return False
        self._settle()  # closing during an alignment: it is cancelled, the export runs
        self.export_to(folder)
        self._wait_for_export()
        return self.stack.isClean()

    @qt_override
    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        self._wait_for_export()  # let its files be written whole, then ask
        # a hidden window was closed (and asked) before: closing it again loses nothing more
        if self.isVisible() and not self._may_drop_corrections(closing):
            event.ignore()
            return
        self._settle()
        super().closeEvent(event)

    @qt_override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        """The main window closing closes this one first, which may ask; cancelled there,
        the main window stays open too."""
        closing_main = watched is self._main and event.type() == QEvent.Type.Close
        if closing_main and self.isVisible() and not self.close():
            event.ignore()
            return True
        return super().eventFilter(watched, event)
