"""Train dialog: choose data, model and settings, then train in a worker thread.

All heavy work runs in a `JobWorker`; the GUI thread only stores the latest progress
event and appends loss points (constant cost per event). A timer refreshes the progress
bar and the curves a few times a second, so the window stays responsive however fast
the engine reports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vertapp.errors import VertAppError
from vertapp.gui.model.child_process import HEARTBEAT
from vertapp.gui.model.loss_plot import LossPlot
from vertapp.gui.model.overwrite import ask_overwrite, free_model_path, taken_files
from vertapp.gui.model.train_settings import TrainSettingsBox
from vertapp.gui.widgets.heap import settle_heap
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.gui.widgets.read_only_bar import LOCKED_TIP, lock
from vertapp.gui.widgets.warning_bar import WarningBar
from vertapp.gui.widgets.worker import JobWorker
from vertapp.jobs import WARNINGS, Job, Progress
from vertapp.ml.words import kept_start_words, learnt_nothing_words
from vertapp.review import training
from vertapp.review.hidden_paths import shown_chosen, shown_model_path
from vertapp.review.progress_text import describe_progress, friendly_error
from vertapp.review.snapshot import DataImage, split_by_patient
from vertapp.review.stopped_run import StoppedRun, keep_stopped_run, stopped_file, stopped_words
from vertapp.review.train_table import count_words, shown_names
from vertapp.review.training import TrainRequest

log = logging.getLogger(__name__)
TrainJobFactory = Callable[[TrainRequest], Job[Any]]
UI_REFRESH_MS = 100
CANCELLING = "Cancelling after the current iteration…"
# The dialog's size where the screen has room; never over SCREEN_SHARE of the screen's
# free area (a fixed 1200 x 720 took a 720 px screen's whole height, title bar off-screen),
# never under what its layout needs.
PREFERRED_SIZE = (1400, 900)
SCREEN_SHARE = 0.9
DATA_HEADING = "Check the training data:"  # over what the run leaves out (ml.train.left_out)
COUNT_TIP = (
    "Vertebrae the run learns from. In brackets: outlines drawn but left out of training "
    "(a label the model has no class for, or an outline covering no pixel; hover a count "
    "for which) and predictions still to review"
)


class TrainDialog(QDialog):
    """Modeless dialog. `job_factory(request)` is called on the GUI thread and must only
    snapshot what it needs and return the job generator (which then runs in the worker).

    Signals: `trained(result)` when a run finishes; `checkpoint_ready(Path)` when a usable
    checkpoint exists after a run (the final model; after a stop, the best epoch so far
    made the model, `keep_stopped_run`).
    """

    trained = Signal(object)
    checkpoint_ready = Signal(object)

    def __init__(
        self,
        images: list[DataImage],
        out_path: Path,
        job_factory: TrainJobFactory,
        *,
        class_names: list[str] | None = None,
        remembered: dict[str, Any] | None = None,
        remember: Callable[[dict[str, Any]], None] | None = None,
        starter: Path | None = None,
        preset: str = "fast",
        names_hidden: bool = True,
        radiographs: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self._images = images
        self._starter = starter  # offered (and chosen) as the start when given
        self._preset = preset  # chosen when the dialog opens (radiographs: mobile)
        self._radiographs = radiographs  # shown with the settings a radiograph run uses
        self._factory = job_factory
        self._class_names = class_names
        # View > Hide names and paths, as the window has it (`set_names_hidden` follows it)
        self._names_hidden = names_hidden
        self._read_only = False  # the window's project may not be written: no new run
        self.worker: JobWorker | None = None
        self._request: TrainRequest | None = None
        self.last_progress: Progress | None = None
        self._latest: dict[str, Any] = {}
        self._epochs_done = 0  # of the running run: whether closing keeps anything of it
        self._earlier_model = False  # the run's model file held a model when it started
        self._cancelling = False  # Cancel pressed: the run ends after its iteration
        self.stopped: StoppedRun | None = None  # what a stopped run left (worker thread)
        self.result: Any = None
        self._build(out_path)
        self._timer = QTimer(self)
        self._timer.setInterval(UI_REFRESH_MS)
        self._timer.timeout.connect(self._refresh_progress)
        self._apply_preset()
        if remembered:  # this project's last run: its settings, not the preset's again
            self.model_box.restore(remembered)
            self.val_fraction.setValue(float(remembered.get("val_fraction", 0.2)))
        self._remember = remember
        # Asked when the model file exists: "replace", "new" (a free name) or "cancel".
        self.ask_overwrite: Callable[[Path], str] = lambda path: ask_overwrite(self, path)
        # Asked before closing stops a run (the text says what it loses): True stops it.
        # The model workflow routes it through the main window's questions.
        self.ask_stop: Callable[[str], bool] = lambda text: ask_stop_training(self, text)
        self._update_split()

    # -- layout ----------------------------------------------------------------------------
    def _build(self, out_path: Path) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self._data_group())
        lv.addWidget(self._model_group(out_path))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        # as wide as the settings ask (no sideways scrolling to read a row), within reason
        wanted = left.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 8
        scroll.setMinimumWidth(min(max(480, wanted), 640))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self._run_group())
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """As large as PREFERRED_SIZE where the screen has room, else SCREEN_SHARE of its
        free area (task bars excluded), never under the layout's minimum."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else None
        self.resize(fitted_size(self.minimumSizeHint(), room))

    def _data_group(self) -> QGroupBox:
        box = QGroupBox("Data")
        self.table = QTableWidget(len(self._images), 4)
        self.table.setHorizontalHeaderLabels(["Image", "Patient", "Vertebrae", "Role"])
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(140)
        count_header = QTableWidgetItem("Vertebrae")
        count_header.setToolTip(COUNT_TIP)
        self.table.setHorizontalHeaderItem(2, count_header)
        for row, im in enumerate(self._images):
            self._fill_row(row, im)
        self._show_names()
        self.table.itemChanged.connect(lambda _item: self._update_split())
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setRange(0.0, 0.9)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.valueChanged.connect(lambda _v: self._update_split())
        self.split_label = QLabel()
        self.split_label.setWordWrap(True)
        form = QFormLayout()
        self.val_fraction.setToolTip(
            "Share of patients held out to measure the model after each epoch (never trained "
            "on); the best epoch is kept. 0: no check, the last epoch is kept."
        )
        form.addRow("Patients kept for checking", self.val_fraction)
        form.addRow(self.split_label)
        v = QVBoxLayout(box)
        v.addWidget(self.table)
        v.addLayout(form)
        return box

    def _fill_row(self, row: int, im: DataImage) -> None:
        """The row's cells; the names are written by `_show_names`."""
        item = QTableWidgetItem()
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        # ticked when it holds labels, left-out ones too (trained on as "nothing to
        # find"), and no prediction waits for review
        checked = im.n_instances + im.n_left_out > 0 and im.n_pending == 0
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.table.setItem(row, 0, item)
        for col, text in ((1, ""), (2, count_words(im)), (3, "")):
            cell = QTableWidgetItem(text)
            cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if col == 2:  # which outlines are left out, in the strip's words
                cell.setToolTip("\n".join(im.left_out))
            self.table.setItem(row, col, cell)

    def set_names_hidden(self, hidden: bool) -> None:
        """View > Hide names and paths changed while the dialog is open: rename the rows,
        show the model file with or without its folders."""
        self._names_hidden = hidden
        self._show_names()
        self.model_box.set_names_hidden(hidden)

    def _show_names(self) -> None:
        self.table.blockSignals(True)  # a renamed row is no new choice of images
        for row, names in enumerate(shown_names(self._images, self._names_hidden)):
            for col, text in enumerate(names):  # Image, Patient
                cell = self.table.item(row, col)
                if cell is not None:
                    cell.setText(text)
        self.table.blockSignals(False)

    def _model_group(self, out_path: Path) -> QGroupBox:
        self.model_box = TrainSettingsBox(
            out_path,
            starter=self._starter,
            preset=self._preset,
            names_hidden=self._names_hidden,
            radiographs=self._radiographs,
        )
        m = self.model_box  # the widgets tests and tools reach by name
        self.preset, self.device, self.out_path = m.preset, m.device, m.out_path
        self.start_from = m.start
        self.settings, self.arch, self.backbone, self.weights = (
            m.settings,
            m.arch,
            m.backbone,
            m.weights,
        )
        self.preset.currentIndexChanged.connect(lambda _i: self._apply_preset())
        return m

    def _run_group(self) -> QWidget:
        box = QWidget()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFormat("%p%")
        self.eta_label = QLabel("Not started")
        self.eta_label.setWordWrap(True)  # a kept start says why in a sentence
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.error_label.hide()
        # What the run leaves out, sent once as it starts: the progress line showed it
        # for a tenth of a second, so it stays here, under the progress, until the next run.
        self.data_warnings = WarningBar()
        self.loss_plot = LossPlot()
        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        v = QVBoxLayout(box)
        v.addWidget(self.progress_bar)
        v.addWidget(self.eta_label)
        v.addWidget(self.error_label)
        v.addWidget(self.data_warnings)
        v.addWidget(self.loss_plot, 1)
        v.addLayout(buttons)
        return box

    # -- data split ------------------------------------------------------------------------
    def selected_images(self) -> list[DataImage]:
        rows = range(self.table.rowCount())
        return [
            im
            for row, im in zip(rows, self._images, strict=True)
            if _checked(self.table.item(row, 0))
        ]

    def split(self) -> tuple[list[int], list[int]]:
        seed = int(self.settings.values().get("seed", 0) or 0) if self._has_settings() else 0
        return split_by_patient(self.selected_images(), self.val_fraction.value(), seed)

    def _has_settings(self) -> bool:
        try:
            self.settings.values()
        except ValueError:
            return False
        return True

    def _update_split(self) -> None:
        train, val = self.split()
        roles = {i: "train" for i in train} | {i: "validation" for i in val}
        self.table.blockSignals(True)
        for row, im in enumerate(self._images):
            cell = self.table.item(row, 3)
            if cell is not None:
                cell.setText(roles.get(im.image_id, "—"))
        self.table.blockSignals(False)
        chosen = self.selected_images()
        patients = {im.patient for im in chosen}
        text = (
            f"{len(train)} training and {len(val)} validation images from "
            f"{len(patients)} patients (split by patient)"
        )
        in_review = [im for im in chosen if im.n_pending]
        if in_review:  # their unreviewed vertebrae are no label, so they teach "background"
            n = sum(im.n_pending for im in in_review)
            text += (
                f". ⚠ {len(in_review)} ticked image(s) still hold {n} prediction(s) to "
                "review: those vertebrae are learnt as background until accepted or corrected"
            )
        self.split_label.setText(text)

    # -- settings --------------------------------------------------------------------------
    def _apply_preset(self) -> None:
        finetune = self.model_box.start_from() is not None
        values = self.model_box.preset_values(finetune=finetune)
        self.model_box.show_preset_architecture(
            str(values.get("arch", self.arch.currentText())),
            str(values.get("backbone", self.backbone.currentText())),
        )
        self.val_fraction.setValue(float(values.get("val_fraction", 0.2)))
        self.model_box.show_preset_settings(values)
        self.model_box.show_start()  # what the starter decides stays shown as it has it

    def set_preset(self, name: str) -> None:
        self.preset.setCurrentIndex(self.preset.findData(name))

    def request(self) -> TrainRequest:
        """The run the dialog describes; raises VertAppError with a sentence when it cannot."""
        train, val = self.split()
        if not train:
            raise VertAppError(
                "No training data: tick at least one image that has labelled vertebrae."
            )
        try:
            values = self.settings.values()
        except ValueError as err:
            raise VertAppError(f"A setting is not a number: {err}") from None
        start = self.model_box.start_from()
        weights = "" if start else self.model_box.weights_path()
        if weights and not Path(weights).is_file():
            shown = shown_chosen(weights, self._names_hidden)
            raise VertAppError(f"Pretrained weights file not found: {shown}")
        values.update(
            arch=self.arch.currentText(),
            backbone=self.backbone.currentText(),
            device=str(self.device.currentData()),
            weights=weights or "auto",
            val_fraction=self.val_fraction.value(),
        )
        if self._class_names:
            values["class_names"] = list(self._class_names)
        config = training.build_config(self.model_box.preset_name(), values)
        out = self.model_box.model_path()
        return TrainRequest(config, train, val, out, finetune_from=start)

    # -- running ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.is_running():
            return
        if self._read_only:  # greyed out: reached from code only
            self.show_error(LOCKED_TIP)
            return
        try:
            request = self.request()
            if not self._may_write(request):
                return
            job = self._factory(request)  # snapshot on this thread; the body runs in the worker
        except VertAppError as err:
            self.show_error(str(err))
            return
        self._request = request
        self.error_label.hide()
        self.data_warnings.show_lines("", [])  # the last run's, not this one's
        self.loss_plot.clear()
        self.last_progress = None
        self._latest = {}
        self._epochs_done = 0
        self.result = None
        self._cancelling = False
        self.stopped = None
        # the engine writes the model at a run's end: a file there now is an earlier model
        self._earlier_model = request.out_path.is_file()
        stoppable = self._kept_on_stop(job, request, self._earlier_model)
        self.worker = JobWorker(lambda: stoppable, self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished_ok.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self._set_running(True)
        self.eta_label.setText("Starting…")
        settle_heap()  # the training snapshot is built: no full GC should rescan it mid-run
        self.worker.start()

    def _may_write(self, request: TrainRequest) -> bool:
        """Never replace a trained model, nor the checkpoint a stopped run kept, without
        asking; remember the settings."""
        out = request.out_path
        if taken_files(out):
            answer = self.ask_overwrite(out)
            if answer == "cancel":
                return False
            if answer == "new":
                request.out_path = free_model_path(out)
                self.model_box.set_model_path(request.out_path)
        if self._remember is not None:
            self._remember(self.model_box.remembered(self.val_fraction.value()))
        return True

    def _kept_on_stop(self, job: Job[Any], request: TrainRequest, earlier: bool) -> Job[Any]:
        """`job`, passed through; stopped (Cancel, a close of the dialog or the window), its
        best epoch so far becomes the model, in the worker thread, before `cancelled`
        is sent, so a closing window keeps it too (`keep_stopped_run`)."""
        epochs = 0
        try:
            while True:
                try:
                    event = next(job)
                except StopIteration as stop:
                    return stop.value
                if isinstance(event, Progress) and event.stage == "epoch":
                    epochs = int(event.data.get("epoch", epochs + 1))
                yield event
        except GeneratorExit:
            job.close()  # the engine stops and its checkpoints are complete
            validated = bool(request.val_ids)
            self.stopped = keep_stopped_run(request.out_path, epochs, validated, earlier)
            raise

    def cancel(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            # kept until the run ends: the progress timer wrote the last ETA over it
            self._cancelling = True
            self.cancel_button.setEnabled(False)
            self.eta_label.setText(CANCELLING)
            self.worker.cancel()

    def is_running(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def set_read_only(self, read_only: bool) -> None:
        """Grey out Start, saying why, while the window's project may not be written (a
        run writes its model and checkpoints there); a run already going is left to end."""
        self._read_only = read_only
        lock([self.start_button], read_only)
        if self.is_running():
            self.start_button.setEnabled(False)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and not self._read_only)
        self.cancel_button.setEnabled(running and not self._cancelling)
        if running:
            self._timer.start()
        else:
            self._timer.stop()
            self._refresh_progress()
            # The last points are drawn by the plot's own timer within a tick or two, its
            # work spread (one new curve, the Dice plot, the re-range: each a tick of its
            # own); drawn all at once here, they held the window 30-90 ms as the run ended.

    def _on_progress(self, event: Progress) -> None:
        # Cheap on purpose: this runs once per engine event on the GUI thread.
        if event.stage == HEARTBEAT.stage:
            return
        if WARNINGS in event.data:  # once a run; not the progress line's (one long line)
            self.data_warnings.show_lines(DATA_HEADING, list(event.data[WARNINGS]))
            return
        self.last_progress = event
        self._latest.update(event.data)  # epoch events lack the loss: keep the last one
        if event.stage == "epoch":  # an epoch ended: its checkpoint is on disk
            self._epochs_done = int(event.data.get("epoch", self._epochs_done + 1))
        self.loss_plot.add_progress(event.data)

    def _refresh_progress(self) -> None:
        event = self.last_progress
        if event is None:
            return
        if event.fraction is not None:
            self.progress_bar.setValue(round(1000 * event.fraction))
        if self._cancelling and self.is_running():  # the words of the stop, not an ETA
            return
        merged = Progress(event.stage, event.fraction, event.message, dict(self._latest))
        self.eta_label.setText(describe_progress(merged))

    def _on_finished(self, result: Any) -> None:
        self.result = result
        self._set_running(False)
        self.progress_bar.setValue(1000)
        assert self._request is not None
        out = Path(getattr(result, "out", self._request.out_path))
        self.eta_label.setText(f"Finished. Model saved to {out.name}")
        if getattr(result, "kept_start", False):  # the fine-tune never beat its start
            words = kept_start_words(out.name, getattr(result, "best_val_mean_dice", None))
            self.eta_label.setText(f"Finished: {words}.")
        elif hasattr(result, "best_val_mean_dice"):  # a result that says its validation
            nothing = learnt_nothing_words(
                out.name,
                result.best_val_mean_dice,
                getattr(result, "epochs", None),
                len(self._request.train_ids),
                len(self._request.val_ids),
            )
            if nothing:  # "Model saved" read as a model that works
                self.eta_label.setText(f"Finished: {nothing}.")
        self.trained.emit(result)
        if out.is_file():
            self.checkpoint_ready.emit(out)

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self.show_error(friendly_error(message))

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self._cancelling = False
        stopped, request = self.stopped, self._request
        if stopped is not None and request is not None and (stopped.model or stopped.kept):
            self.eta_label.setText(
                stopped_words(stopped, request.out_path, request.config.epochs, self._names_hidden)
            )
            if stopped.model is not None:
                self.checkpoint_ready.emit(stopped.model)
            return
        last = self.checkpoint_after_cancel()
        if last is None:
            self.eta_label.setText(
                "Cancelled before the first epoch ended: no checkpoint was saved."
            )
            return
        kept = shown_model_path(last, self._names_hidden)  # its folder: the project's name
        self.eta_label.setText(f"Cancelled: the last checkpoint is kept in {kept}.")
        self.checkpoint_ready.emit(last)

    def checkpoint_after_cancel(self) -> Path | None:
        """The engine's last-epoch checkpoint for this run, if one was written."""
        if self._request is None:
            return None
        out = self._request.out_path
        for candidate in (training.last_checkpoint(out), out):
            if candidate.is_file():
                return candidate
        return None

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def running_text(self) -> str:
        """What is running and what closing it keeps, in words (for the close questions)."""
        epoch = self._latest.get("epoch")
        total = self._request.config.epochs if self._request is not None else None
        where = f" (epoch {epoch} of {total})" if epoch and total else ""
        return f"Training is running{where}. Closing stops it; {self._kept_after_stop()}"

    def _kept_after_stop(self) -> str:
        if self._epochs_done == 0 or self._request is None:
            return "no epoch has finished yet, so nothing of this run is kept."
        out = self._request.out_path
        which = "best epoch so far" if self._request.val_ids else "last finished epoch"
        if self._earlier_model:
            kept = stopped_file(out, bool(self._request.val_ids)).name
            return (
                f"the earlier {out.name} stays the project's model and this run's {which} "
                f"stays in {kept}."
            )
        return f"its {which} becomes the project's model, {out.name}."

    @qt_override
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        # A run may have taken hours: stop it only when the user says so. A hidden dialog
        # is closed by a program (tests, shutdown), not by the user: no question then.
        if self.is_running() and self.isVisible() and not self.ask_stop(self.running_text()):
            event.ignore()
            return
        # Closing the dialog does not abandon a thread: cancel and wait for its next yield.
        if self.is_running() and self.worker is not None:
            self._cancelling = True
            self.worker.cancel()
            self.worker.wait(30_000)
        super().closeEvent(event)


def fitted_size(minimum: QSize, room: QSize | None) -> QSize:
    """The dialog's size: PREFERRED_SIZE within SCREEN_SHARE of the screen's free `room`
    (None: unknown), at least `minimum`."""
    width, height = PREFERRED_SIZE
    if room is not None and room.width() > 0 and room.height() > 0:
        width = min(width, int(SCREEN_SHARE * room.width()))
        height = min(height, int(SCREEN_SHARE * room.height()))
    return QSize(max(width, minimum.width()), max(height, minimum.height()))


def ask_stop_training(parent: QWidget, text: str) -> bool:
    """The dialog's own question when no window asks for it: True stops the run."""
    box = QMessageBox(QMessageBox.Icon.Question, "Training is running", text, parent=parent)
    stop = box.addButton("Stop and close", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)  # Enter must not throw away a run
    box.exec()
    return box.clickedButton() is stop


def _checked(item: QTableWidgetItem | None) -> bool:
    return item is not None and item.checkState() == Qt.CheckState.Checked
