"""Compare dock: a prediction run against hand-drawn ground truth, scored by the engine.

Scores come from the engine's `vertapp.ml.evaluate` (the DESIGN metric definitions, same as the CLI's
`vertapp evaluate`). The overlay shows truth in sky blue, prediction in yellow, a prediction
over the truth of its own level in blue and over another level's truth in vermillion,
on the image itself. Edits to the truth rescore the image shown once they pause; a whole-project
score they touch is marked out of date (its COCO AP is not recomputed at every stroke).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vertapp.errors import VertAppError
from vertapp.gui.model.review_panel import STATUS_COLORS, ReviewHost
from vertapp.gui.widgets.worker import JobWorker
from vertapp.review import compare as comparison
from vertapp.review import status as rv
from vertapp.review.prediction import PredictRun
from vertapp.review.seen_in_training import seen_in_training, seen_words

COLUMNS = ("Vertebra", "Dice", "Identified", "Distance (mm)")
# Okabe-Ito colours, the four that stay apart from each other and from every grey of the
# MIP (black to white bone) under deuteranopia, protanopia and tritanopia too (CIELAB
# distance >= 13 after the overlay's alpha; tests/unit/gui_ml/test_compare_colours.py).
# "Same level" was white, lost on the bone it covers; green is grey to a deuteranope.
# The two overlaps lie on bone: blue and vermillion stand out most on light grey; the
# rims of truth or prediction alone often lie on black, where sky blue and yellow do.
TRUTH_RGB = (86, 180, 233)  # sky blue: truth no prediction covers
PRED_RGB = (240, 228, 66)  # yellow: prediction over no truth
SAME_RGB = (0, 114, 178)  # blue: the truth, covered by its own level
WRONG_RGB = (213, 94, 0)  # vermillion: the truth, covered by another level only
COLOURS = {  # overlay class (vertapp.review.compare) -> colour
    comparison.TRUTH: TRUTH_RGB,
    comparison.PREDICTION: PRED_RGB,
    comparison.SAME_LEVEL: SAME_RGB,
    comparison.WRONG_LEVEL: WRONG_RGB,
}
RESCORE_MS = 400  # a burst of edits (vertex drags, brush strokes) is scored once it pauses
STALE = (
    "<b>Out of date</b>: an image scored here was edited since. Press <i>Score all "
    "images with ground truth</i> again."
)


class ComparePanel(QWidget):
    def __init__(self, host: ReviewHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.run: PredictRun | None = None
        self.threshold = 0.9
        self.result: Any = None
        self.worker: JobWorker | None = None
        self.scored: tuple[int, ...] = ()  # the images the result shown covers
        self.whole = False  # the result shown is Score all's (with COCO AP)
        self.stale = False  # one of them was edited after it was scored
        self._scoring: tuple[int, ...] = ()  # the images a Score all under way covers
        self._scoring_edited = False  # one of those was edited after its truth was taken
        self._seen: dict[int, bool] = {}  # image id -> in the run's model's training data
        self._build()
        self.rescore = QTimer(self)
        self.rescore.setSingleShot(True)
        self.rescore.setInterval(RESCORE_MS)
        self.rescore.timeout.connect(self.refresh)
        host.image_changed.connect(lambda _id: self.refresh())
        host.instances_changed.connect(self._on_edit)
        host.reset.connect(self._on_reset)

    def _build(self) -> None:
        self.summary = QLabel("Run a prediction on an image with hand-drawn ground truth.")
        self.summary.setWordWrap(True)
        # above the scores: a score on a scan the model learnt from read like a test result
        self.trained_note = QLabel()
        self.trained_note.setWordWrap(True)
        colour = STATUS_COLORS[rv.FLAGGED].name()
        self.trained_note.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.trained_note.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view = pg.GraphicsLayoutWidget()
        self.viewbox = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item.setZValue(1)
        self.viewbox.addItem(self.image_item)
        self.viewbox.addItem(self.overlay_item)
        self.all_button = QPushButton("Score all images with ground truth")
        self.all_button.clicked.connect(self.evaluate_all)
        legend = QLabel(legend_html())
        legend.setWordWrap(True)  # a one-line legend would set the dock's minimum width
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.view)
        splitter.setSizes([320, 400])
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        v.addWidget(self.trained_note)
        v.addWidget(self.summary)
        v.addWidget(splitter, 1)
        v.addWidget(legend)
        v.addWidget(self.all_button)

    # -- inputs ----------------------------------------------------------------------------
    def set_run(self, run: PredictRun) -> None:
        self.run = run
        self._seen.clear()
        self.refresh()

    def set_threshold(self, value: float) -> None:
        self.threshold = float(value)
        self.refresh()

    def _on_reset(self) -> None:
        self.run = None
        self._seen.clear()
        self.refresh()

    def _on_edit(self, image_id: int) -> None:
        """The truth (or a prediction) of `image_id` changed: a score of it is stale."""
        if image_id in self._scoring:
            self._scoring_edited = True  # said once that score ends: its truth is older
        if self.whole:  # Score all: its AP took seconds; said, not redone
            if image_id in self.scored:
                self.stale = True
                self._say_stale()
        elif self.run is not None and image_id == self.host.current_id:
            self.rescore.start()  # restarted by each edit of a burst

    # -- current image ---------------------------------------------------------------------
    def refresh(self) -> None:
        self.rescore.stop()
        image_id = self.host.current_id
        if (
            self.run is None
            or image_id is None
            or image_id not in self.run.shapes
            or not comparison.has_ground_truth(self.host.project, image_id)
        ):
            self._clear("No prediction with ground truth for this image.")
            return
        try:
            self.result = comparison.compare(
                self.host.project, self.run.coco, [image_id], self.threshold
            )
        except VertAppError as err:
            self._clear(str(err))
            return
        self.scored, self.stale, self.whole = (image_id,), False, False
        self.show_result(self.result)
        self._show_overlay(image_id)

    def _clear(self, text: str) -> None:
        self.result = None
        self.trained_note.hide()
        self.scored, self.stale, self.whole = (), False, False
        self.table.setRowCount(0)
        self.summary.setText(text)
        self.image_item.clear()
        self.overlay_item.clear()

    def show_result(self, result: Any) -> None:
        rows = sorted(result.vertebrae, key=lambda v: (v.image_id, _order(v.label)))
        self.table.setRowCount(len(rows))
        many = result.n_images > 1  # rows of several images: each says whose it is
        for r, v in enumerate(rows):
            dist = "" if v.distance_mm is None else f"{v.distance_mm:.1f}"
            name = f"{v.label}, image {self._number(v.image_id)}" if many else v.label
            cells = (name, f"{v.dice:.3f}", "yes" if v.identified else "no", dist)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setForeground(QBrush(_dice_color(v.dice)))
                self.table.setItem(r, c, item)
        fps = ", ".join(label for _i, label in result.false_positives) or "none"
        ap = comparison.ap_words(result.coco)
        self.summary.setText(
            f"{result.n_images} image(s), {len(result.vertebrae)} vertebrae at threshold "
            f"{self.threshold:.2f}: mean Dice <b>{result.mean_dice:.3f}</b>, identification "
            f"rate <b>{100 * result.identification_rate:.0f} %</b>; false positives: {fps}"
            + (f"<br>{ap}" if ap else "")
        )
        self._say_stale()
        self._say_seen(sorted({v.image_id for v in result.vertebrae} | set(self.scored)))

    def _say_seen(self, image_ids: list[int]) -> None:
        """Say above the scores when the model was trained on a scored image."""
        fresh = [i for i in image_ids if i not in self._seen]
        if self.run is not None and fresh:
            pixels_of = getattr(self.host, "pixels", None)
            seen = seen_in_training(self.host.project, fresh, self.run.trained_on, pixels_of)
            self._seen.update((i, i in seen) for i in fresh)
        seen = [i for i in image_ids if self._seen.get(i)]
        text = seen_words(seen, len(image_ids), self._number)
        self.trained_note.setText(text)
        self.trained_note.setVisible(bool(text))

    def _say_stale(self) -> None:
        text = self.summary.text()
        if self.stale and STALE not in text:
            self.summary.setText(f"{STALE}<br>{text}")

    def _number(self, image_id: int) -> int | str:
        """The image's place in the project list (as the status bar counts), never a name."""
        ids = self.host.image_ids
        return ids.index(image_id) + 1 if image_id in ids else image_id

    def _show_overlay(self, image_id: int) -> None:
        truth, pred = self.masks(image_id)
        pixels_of = getattr(self.host, "pixels", None)
        if pixels_of is not None:
            self.image_item.setImage(np.asarray(pixels_of(image_id)), levels=(0, 255))
        img = self.host.project.images[image_id]
        rgba = overlay_rgba(truth, pred, (img.height, img.width))
        self.overlay_item.setImage(rgba, levels=(0, 255))
        self.viewbox.autoRange(padding=0.02)

    def masks(self, image_id: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(truth, prediction) masks per level of an image at the current threshold."""
        assert self.run is not None
        return comparison.level_masks(self.host.project, self.run.coco, image_id, self.threshold)

    # -- whole project ---------------------------------------------------------------------
    def evaluate_all(self) -> None:
        if self.run is None or (self.worker is not None and self.worker.isRunning()):
            return
        project = self.host.project
        ids = [
            i
            for i in self.run.shapes
            if i in project.images and comparison.has_ground_truth(project, i)
        ]
        if not ids:
            self.summary.setText("None of the predicted images has hand-drawn ground truth.")
            return
        gt = comparison.ground_truth_coco(project, ids)  # snapshot on the GUI thread
        job = comparison.compare_job(gt, self.run.coco, ids, self.threshold)
        self.rescore.stop()  # a rescore of one image would replace the whole score
        self._scoring, self._scoring_edited = tuple(ids), False
        self.worker = JobWorker(lambda: job, self)
        self.worker.finished_ok.connect(self._on_all_done)
        self.worker.failed.connect(self._on_all_failed)
        self.summary.setText(f"Scoring {len(ids)} image(s)…")
        self.worker.start()

    def _on_all_done(self, result: Any) -> None:
        self.result = result
        self.scored, self._scoring = self._scoring, ()
        self.stale, self.whole = self._scoring_edited, True
        self.show_result(result)

    def _on_all_failed(self, message: str) -> None:
        self._scoring = ()
        self.summary.setText(message)


def overlay_rgba(
    truth: dict[str, np.ndarray],
    pred: dict[str, np.ndarray],
    shape: tuple[int, int],
    alpha: int = 140,
) -> np.ndarray:
    """The overlay's colours (module docstring); transparent where neither lies."""
    classes = comparison.overlay_classes(truth, pred, shape)
    out = np.zeros((*shape, 4), np.uint8)
    for cls, rgb in COLOURS.items():
        out[classes == cls] = (*rgb, alpha)
    return out


def legend_html() -> str:
    """Colour swatches with words in the text colour: magenta or orange words on the
    dock's light grey read under 3:1."""

    def swatch(rgb: tuple[int, int, int], words: str) -> str:
        colour = f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}"  # on grey, as over the image
        return f"<span style='background:#808080;color:{colour}'>■</span> {words}"

    items = (
        swatch(TRUTH_RGB, "truth"),
        swatch(PRED_RGB, "prediction"),
        swatch(SAME_RGB, "overlap, same level"),
        swatch(WRONG_RGB, "overlap, wrong level"),
    )
    return (
        "&nbsp; ".join(items) + ".  Distance: centroid of the same-label prediction to the "
        "true centroid."
    )


def _order(label: str) -> int:
    from vertapp.labels import VERTEBRAE

    return VERTEBRAE.index(label) if label in VERTEBRAE else 99


def _dice_color(dice: float) -> QColor:
    # the review table's status colours: each >= 4.5:1 on white (the orange was 2.9:1)
    if dice >= 0.9:
        return STATUS_COLORS[rv.COMPLETED]
    if dice >= 0.7:
        return STATUS_COLORS[rv.IN_PROGRESS]
    return STATUS_COLORS[rv.FLAGGED]
