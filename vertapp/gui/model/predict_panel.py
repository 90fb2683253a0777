"""Predict dock section: choose a model, predict the current image or all, score threshold.

Prediction runs in a JobWorker. Its result becomes predicted instances in the project
(one undo step for the whole run); images that hold hand-drawn ground truth keep it
untouched and their predictions go to the Compare panel only. The threshold slider
only changes what is shown (and what "accept all" takes), so moving it is instant.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vertapp.annotations.model import ImageRecord
from vertapp.errors import VertAppError
from vertapp.gui.document.undo import OpCommand
from vertapp.gui.model.child_process import HEARTBEAT
from vertapp.gui.model.jobs import predict_in_process
from vertapp.gui.model.review_panel import AfterEdits, ReviewHost
from vertapp.gui.widgets.browse_row import browse_row
from vertapp.gui.widgets.read_only_bar import LOCKED_TIP, lock
from vertapp.gui.widgets.worker import JobWorker
from vertapp.jobs import Job, Progress
from vertapp.review.decisions import apply_predictions, shapes_for_labels
from vertapp.review.not_hu import not_hu_images, skipped_text
from vertapp.review.prediction import SCORE_FLOOR, PredictRun
from vertapp.review.snapshot import ImageSnapshot, snapshot
from vertapp.review.status import PredictionCount, prediction_count, predictions_text
from vertapp.review.wording import count, model_words

PredictJobFactory = Callable[[Path, list[ImageSnapshot], float], Job[PredictRun]]
# Asked before predicting one image whose CT was read as not CT in Hounsfield units (the
# reader's verdict in words): True predicts it anyway. The window asks its way (headless:
# Skip); without a window it is skipped, as `vertapp predict` skips it.
AskNotHu = Callable[[str], bool]
# The model used when no file is chosen: () -> (file, its name for the reader, why it was
# taken or ""); raises VertAppError in words when there is none. The window's: the
# project's own ("this project's model"), else the starter.
DefaultModel = Callable[[], tuple[Path, str, str]]
# Before any run the slider shows the shipped starter's threshold (the demo's stored
# predictions are its); after a run, the model's own (unless the user has set it): the
# paper's 0.9 hid two thirds of the starter's vertebrae (12 unseen phantoms: Dice 0.33
# shown at 0.9, 0.79 at its own 0.5 then).
DEFAULT_THRESHOLD = 0.3
# The model field's words when a default model stands behind it: the placeholder is short
# (the whole sentence was cut off at 1280 and 1600 px wide), the tooltip says it all.
DEFAULT_MODEL_HINT = "model .pt (empty: project's, else starter)"
DEFAULT_MODEL_TIP = (
    "Model to predict with. Left empty: this project's own model (models/model.pt), "
    "else the starter model VertApp ships (CT MIPs only)"
)


class PredictPanel(QWidget):
    threshold_changed = Signal(float)
    run_finished = Signal(object)  # PredictRun
    message = Signal(str)

    def __init__(
        self,
        host: ReviewHost,
        job_factory: PredictJobFactory = predict_in_process,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self._factory = job_factory
        self.worker: JobWorker | None = None
        self.last_run: PredictRun | None = None
        self._run_project: object = None  # the project a running prediction belongs to
        self.skipped_ground_truth: list[int] = []
        self.skipped_not_hu: dict[int, str] = {}  # image id -> why it was not predicted
        self.ask_not_hu: AskNotHu = lambda _verdict: False
        self.default_model: DefaultModel | None = None
        self._model_name: str | None = None  # None: the chosen file's own name
        self._model_why = ""
        self.read_only = False  # Predict greyed out: its results could not be added
        # Each image's count, kept until a change to that image (see refresh_summary)
        self._counts: dict[int, tuple[ImageRecord, PredictionCount]] = {}
        self._build()
        # the count follows every decision (it said "9 waiting" after they were decided),
        # once an undo step: Shift+A on 17 vertebrae recounted 17 times
        self._stale = AfterEdits(host.stack, self.refresh_summary, self)
        host.instances_changed.connect(self._on_instances_changed)
        host.reset.connect(self._on_reset)
        self.refresh_summary()

    def _build(self) -> None:
        self.model_path = QLineEdit()
        self.model_path.setPlaceholderText("model checkpoint (.pt)")
        row = browse_row(self.model_path, self._pick_model)
        self.current_button = QPushButton("Predict current image")
        self.current_button.clicked.connect(self.predict_current)
        self.all_button = QPushButton("Predict all images")
        self.all_button.clicked.connect(self.predict_all)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        for b in (self.current_button, self.all_button, self.cancel_button):
            buttons.addWidget(b)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()  # shown while a run goes: an empty bar read as one stuck
        self.status = QLabel()  # the last run (or why it could not run)
        self.status.setWordWrap(True)
        self.status.hide()
        self.summary = QLabel()  # what the project holds now, recounted on every decision
        self.summary.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(DEFAULT_THRESHOLD * 100))
        self.slider.setToolTip(
            "Hide predictions scoring below this. Set to the model's own threshold after "
            "each run until you move it (the paper used 0.9)."
        )
        self.slider.valueChanged.connect(self._on_slider)
        self.slider.sliderMoved.connect(lambda _v: self._set_by_user())
        self.slider.actionTriggered.connect(lambda _a: self._set_by_user())
        self.threshold_set_by_user = False
        self.threshold_label = QLabel()
        srow = QHBoxLayout()
        srow.addWidget(QLabel("Score threshold"))
        srow.addWidget(self.slider, 1)
        srow.addWidget(self.threshold_label)
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        v.addLayout(row)
        v.addLayout(buttons)
        v.addWidget(self.progress)
        v.addWidget(self.status)
        v.addWidget(self.summary)
        v.addLayout(srow)
        self._on_slider(self.slider.value())

    # -- threshold -------------------------------------------------------------------------
    @property
    def threshold(self) -> float:
        return self.slider.value() / 100.0

    def set_threshold(self, value: float) -> None:
        """The user's choice (kept across runs from then on)."""
        self._set_by_user()
        self.slider.setValue(round(value * 100))

    def _set_by_user(self) -> None:
        self.threshold_set_by_user = True

    def _follow_model(self, run: PredictRun) -> None:
        """Show the run at its model's own threshold, unless the user chose one."""
        if not self.threshold_set_by_user and run.model_threshold is not None:
            self.slider.setValue(round(float(run.model_threshold) * 100))

    def _on_slider(self, value: int) -> None:
        self.threshold_label.setText(f"{value / 100:.2f}")
        self.threshold_changed.emit(value / 100.0)

    # -- model -----------------------------------------------------------------------------
    def use_default_model(self, default: DefaultModel) -> None:
        """Predict with `default` while the model field is empty, and say so in the field."""
        self.default_model = default
        self.model_path.setPlaceholderText(DEFAULT_MODEL_HINT)
        self.model_path.setToolTip(DEFAULT_MODEL_TIP)

    def set_model_path(self, path: Path | str) -> None:
        self.model_path.setText(str(path))

    def _pick_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Model checkpoint", "", "VertApp checkpoint (*.pt);;All files (*)"
        )
        if path:
            self.set_model_path(path)

    # -- running ---------------------------------------------------------------------------
    def predict_current(self) -> None:
        if self.host.current_id is None:
            self.message.emit("Open an image first.")
            return
        self.predict([self.host.current_id])

    def predict_all(self) -> None:
        self.predict(list(self.host.image_ids))

    def set_read_only(self, read_only: bool) -> None:
        """Grey out Predict, saying why (LOCKED_TIP), while the project is read-only."""
        self.read_only = read_only
        lock([self.current_button, self.all_button], read_only)
        if self.is_running():  # stays greyed out until the run ends
            self.current_button.setEnabled(False)
            self.all_button.setEnabled(False)

    def predict(self, image_ids: list[int]) -> None:
        if self.is_running() or not image_ids:
            return
        if self.read_only:  # greyed out: reached from code only
            self.message.emit(LOCKED_TIP)
            return
        image_ids = self._leave_out_not_hu(image_ids)
        if not image_ids:
            return
        try:
            path, self._model_name, self._model_why = self._model()
        except VertAppError as err:
            self._fail(str(err))
            return
        pending = getattr(self.host, "pending_images", {})
        try:
            snaps = snapshot(self.host.project, image_ids, pending)
        except (VertAppError, ValueError) as err:
            self._fail(str(err))
            return
        floor = min(SCORE_FLOOR, self.threshold)
        # the run belongs to this project: one opened meanwhile must not receive it
        self._run_project = self.host.project
        job = self._factory(path, snaps, floor)
        self.worker = JobWorker(lambda: job, self)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished_ok.connect(self._on_finished)
        self.worker.failed.connect(self._fail)
        self.worker.cancelled.connect(lambda: self._done("Prediction cancelled; nothing changed."))
        self._set_running(True)
        self._say(f"Predicting {count(len(image_ids), 'image')} with {self._running_name(path)}…")
        self.worker.start()

    def _leave_out_not_hu(self, image_ids: list[int]) -> list[int]:
        """The images to predict: one read as not CT in HU only if the user says so (asked),
        several such left out (said in the run's words, as `vertapp predict` does)."""
        found = not_hu_images(self.host.project, image_ids)
        asked = len(image_ids) == 1 and bool(found)
        if asked and self.ask_not_hu(found[image_ids[0]]):
            found = {}
        self.skipped_not_hu = found
        if found and len(found) == len(image_ids):
            self._done(skipped_text(found, asked))
            self.message.emit(skipped_text(found, asked))
        return [i for i in image_ids if i not in found]

    def _running_name(self, path: Path) -> str:
        why = f" ({self._model_why})" if self._model_why else ""
        return f"{self._model_name or path.name}{why}"

    def _model(self) -> tuple[Path, str | None, str]:
        """The chosen file, else the window's default model (with words saying which)."""
        text = self.model_path.text().strip()
        if text:
            if not Path(text).is_file():
                raise VertAppError(f"Model file not found: {text}")
            return Path(text), None, ""
        if self.default_model is None:
            raise VertAppError("Choose a model file first.")
        return self.default_model()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def is_running(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def _set_running(self, running: bool) -> None:
        self.current_button.setEnabled(not running and not self.read_only)
        self.all_button.setEnabled(not running and not self.read_only)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setValue(0)
        self.progress.setVisible(running)

    def _on_progress(self, event: Progress) -> None:
        if event.stage == HEARTBEAT.stage:
            return
        if event.fraction is not None:
            self.progress.setValue(round(event.fraction * 1000))
        if event.message:
            self._say(event.message)

    def _fail(self, message: str) -> None:
        """Said in the panel and in the status bar (the panel may have been hidden when
        Predict was pressed: the reason went unseen)."""
        text = message.splitlines()[0] if message else "Prediction failed."
        self._done(text)
        self.status.setStyleSheet("color: #c0392b;")
        self.message.emit(text)

    def _done(self, text: str, tip: str = "") -> None:
        self._set_running(False)
        self.status.setStyleSheet("")
        self._say(text, tip)

    def _say(self, text: str, tip: str = "") -> None:
        self.status.setText(text)
        self.status.setToolTip(tip)
        self.status.setVisible(bool(text))

    # -- what the project holds ------------------------------------------------------------
    def _on_instances_changed(self, image_id: object) -> None:
        if isinstance(image_id, int):
            self._counts.pop(image_id, None)
        self._stale.schedule()

    def refresh_summary(self) -> None:
        """The project's model output in words. Only the images changed since the last
        summary are recounted: a recount of every instance took 4 ms at 300 images, on
        each decision."""
        self._stale.done()
        counts = []
        for image_id, img in self.host.project.images.items():
            kept = self._counts.get(image_id)
            if kept is None or kept[0] is not img:  # a new image, or another project's
                kept = self._counts[image_id] = (img, prediction_count(img))
            counts.append(kept[1])
        self.summary.setText(predictions_text(counts))
        ids = sorted({model_id for c in counts for model_id in c.model_ids})
        self.summary.setToolTip("Models: " + ", ".join(ids) if ids else "")
        # "No prediction yet" under a run that found nothing read as a run not done: the
        # status above says it alone
        nothing_held = not any(c.predicted for c in counts)
        self.summary.setVisible(not (nothing_held and self.found_nothing()))

    def found_nothing(self) -> bool:
        """The last run found no vertebra on any image it predicted."""
        run = self.last_run
        return run is not None and not any(run.shapes.values())

    def _on_reset(self) -> None:
        """Another project: the last run's words were about the one before."""
        self._counts.clear()
        self.last_run = None
        if not self.is_running():
            self._say("")
        self.refresh_summary()

    def _on_finished(self, run: PredictRun) -> None:
        if self.host.project is not self._run_project:
            self._done(
                "The prediction was for the project open when it started; another one is "
                "open now, so nothing was added. Predict again here."
            )
            return
        self.last_run = run
        self.progress.setValue(1000)
        self._follow_model(run)
        try:
            added = self.apply_run(run)
        except VertAppError as err:
            self._fail(str(err))
            return
        self._done(self.run_words(run, added), f"Model: {run.model_id}\n{run.model_path}")
        self.refresh_summary()  # a run that added nothing changed no instance to recount
        self.run_finished.emit(run)

    def run_words(self, run: PredictRun, added: int) -> str:
        """What a finished run did, with the model as a reader names it. Told as a past
        event: it stays while vertebrae are rejected (the summary below recounts), and
        "9 vertebrae predicted" above 8 left read as a count of the image."""
        model = model_words(run.model_id, self._model_name)
        why = f"; {self._model_why}" if self._model_why else ""
        gt = len(self.skipped_ground_truth)
        if not any(run.shapes.values()):  # "0 vertebrae predicted" said nothing of why
            text = (
                f"Last run: nothing found by {model} at score threshold "
                f"{run.score_floor:.2f}{why}. Try a lower threshold and predict again, or "
                "a better-trained model."
            )
        elif added or not gt:
            text = f"Last run: {count(added, 'vertebra')} predicted by {model}{why}."
        else:  # every image held ground truth: the whole run went to Compare
            text = f"Last run: predicted by {model}{why}."
        if gt:
            kept = count(gt, "image")
            text += f" {kept} with ground truth kept as is: see Compare for the scores."
        if self.skipped_not_hu:
            text += f" {skipped_text(self.skipped_not_hu)}"
        return text

    def all_to_compare(self) -> bool:
        """The last run added nothing to review: every image it predicted holds ground truth."""
        run, kept = self.last_run, set(self.skipped_ground_truth)
        return run is not None and bool(kept) and set(run.shapes) <= kept

    def apply_run(self, run: PredictRun) -> int:
        """Put the run's instances into the project as one undo step; returns how many."""
        project = self.host.project
        labels = set(project.labels)
        run.shapes = {k: shapes_for_labels(v, labels) for k, v in run.shapes.items()}
        foreign = {s.label for shapes in run.shapes.values() for s in shapes} - labels
        if foreign:
            raise VertAppError(
                f"{run.model_path.name} predicts {', '.join(sorted(foreign))}, which this "
                "project does not use (a model for another kind of image?)"
            )
        text = f"Predict {count(len(run.shapes), 'image')}"
        inverse, added, self.skipped_ground_truth = apply_predictions(
            project, run.shapes, run.model_id, text
        )
        if inverse is not None:
            self.host.stack.push(OpCommand(project.apply, inverse, text))
        return added
