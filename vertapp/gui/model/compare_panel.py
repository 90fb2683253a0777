"""Compare dock: a prediction run against hand-drawn ground truth, scored by the engine.

Scores come from the engine's `vertapp.ml.evaluate` (the DESIGN metric definitions, same as the CLI's
`vertapp evaluate`). The overlay shows truth in green, prediction in magenta and their
overlap in white, on the image itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
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

from vertapp.annotations import geometry as geo
from vertapp.errors import VertAppError
from vertapp.gui.model.review_panel import ReviewHost
from vertapp.gui.widgets.worker import JobWorker
from vertapp.review import compare as comparison
from vertapp.review.prediction import PredictRun

COLUMNS = ("Vertebra", "Dice", "Identified", "Distance (mm)")
TRUTH_RGB = (0, 220, 0)
PRED_RGB = (230, 0, 230)


class ComparePanel(QWidget):
    def __init__(self, host: ReviewHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.run: PredictRun | None = None
        self.threshold = 0.9
        self.result: Any = None
        self.worker: JobWorker | None = None
        self._build()
        host.image_changed.connect(lambda _id: self.refresh())
        host.reset.connect(self._on_reset)

    def _build(self) -> None:
        self.summary = QLabel("Run a prediction on an image with hand-drawn ground truth.")
        self.summary.setWordWrap(True)
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
        legend = QLabel(
            "<span style='color:#00c000'>■ truth</span>  "
            "<span style='color:#e600e6'>■ prediction</span>  overlap: white.  Distance: "
            "centroid of the same-label prediction to the true centroid."
        )
        legend.setWordWrap(True)  # a one-line legend would set the dock's minimum width
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.view)
        splitter.setSizes([320, 400])
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        v.addWidget(self.summary)
        v.addWidget(splitter, 1)
        v.addWidget(legend)
        v.addWidget(self.all_button)

    # -- inputs ----------------------------------------------------------------------------
    def set_run(self, run: PredictRun) -> None:
        self.run = run
        self.refresh()

    def set_threshold(self, value: float) -> None:
        self.threshold = float(value)
        self.refresh()

    def _on_reset(self) -> None:
        self.run = None
        self.refresh()

    # -- current image ---------------------------------------------------------------------
    def refresh(self) -> None:
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
        self.show_result(self.result)
        self._show_overlay(image_id)

    def _clear(self, text: str) -> None:
        self.result = None
        self.table.setRowCount(0)
        self.summary.setText(text)
        self.image_item.clear()
        self.overlay_item.clear()

    def show_result(self, result: Any) -> None:
        rows = sorted(result.vertebrae, key=lambda v: (v.image_id, _order(v.label)))
        self.table.setRowCount(len(rows))
        for r, v in enumerate(rows):
            dist = "" if v.distance_mm is None else f"{v.distance_mm:.1f}"
            cells = (v.label, f"{v.dice:.3f}", "yes" if v.identified else "no", dist)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setForeground(QBrush(_dice_color(v.dice)))
                self.table.setItem(r, c, item)
        fps = ", ".join(label for _i, label in result.false_positives) or "none"
        self.summary.setText(
            f"{result.n_images} image(s), {len(result.vertebrae)} vertebrae at threshold "
            f"{self.threshold:.2f}: mean Dice <b>{result.mean_dice:.3f}</b>, identification "
            f"rate <b>{100 * result.identification_rate:.0f} %</b>; false positives: {fps}"
        )

    def _show_overlay(self, image_id: int) -> None:
        truth, pred = self.masks(image_id)
        pixels_of = getattr(self.host, "pixels", None)
        if pixels_of is not None:
            self.image_item.setImage(np.asarray(pixels_of(image_id)), levels=(0, 255))
        self.overlay_item.setImage(overlay_rgba(truth, pred), levels=(0, 255))
        self.viewbox.autoRange(padding=0.02)

    def masks(self, image_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(truth, prediction) unions for the current image at the current threshold."""
        img = self.host.project.images[image_id]
        h, w = img.height, img.width
        truth = np.zeros((h, w), bool)
        for inst in img.instances:
            if inst.source == "manual":
                truth |= geo.polygons_to_mask(inst.polygons, h, w, inst.holes)
        pred = np.zeros((h, w), bool)
        assert self.run is not None
        for ann in self.run.coco["annotations"]:
            if int(ann["image_id"]) == image_id and float(ann.get("score", 1)) >= self.threshold:
                pred |= geo.segmentation_to_mask(ann["segmentation"], h, w)
        return truth, pred

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
        self.worker = JobWorker(lambda: job, self)
        self.worker.finished_ok.connect(self._on_all_done)
        self.worker.failed.connect(self.summary.setText)
        self.summary.setText(f"Scoring {len(ids)} image(s)…")
        self.worker.start()

    def _on_all_done(self, result: Any) -> None:
        self.result = result
        self.show_result(result)


def overlay_rgba(truth: np.ndarray, pred: np.ndarray, alpha: int = 140) -> np.ndarray:
    """Truth green, prediction magenta, both white; transparent elsewhere."""
    out = np.zeros(truth.shape + (4,), np.uint8)
    out[truth] = (*TRUTH_RGB, alpha)
    out[pred] = (*PRED_RGB, alpha)
    out[truth & pred] = (255, 255, 255, alpha)
    return out


def _order(label: str) -> int:
    from vertapp.labels import VERTEBRAE

    return VERTEBRAE.index(label) if label in VERTEBRAE else 99


def _dice_color(dice: float) -> QColor:
    if dice >= 0.9:
        return QColor(0, 140, 60)
    if dice >= 0.7:
        return QColor(200, 120, 0)
    return QColor(200, 30, 30)
