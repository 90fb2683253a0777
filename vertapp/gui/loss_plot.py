"""Live training curves: one line per loss term against iteration, validation Dice per epoch.

Training can emit many progress events per second; repainting a plot for each would
stall the event loop. Points are only appended to preallocated numpy buffers when they
arrive and the curves are redrawn by a timer (`REDRAW_MS`), so the cost per event is
constant and tiny. A long run (hours, 10^5 iterations) must not slow the redraw down
either: the curves are handed views of the buffers (no list -> array copy) and drawn
clipped to the visible range and peak-downsampled to the plot's width.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget

REDRAW_MS = 250
# Loss terms torchvision's Mask R-CNN returns get fixed colours; others cycle.
_PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6")
TOTAL = "total"


class Series:
    """x/y points in float64 buffers that grow by doubling; `x`/`y` are views, no copy."""

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty(len(self._x))])
            self._y = np.concatenate([self._y, np.empty(len(self._y))])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def last_x(self) -> float | None:
        return float(self._x[self.n - 1]) if self.n else None


class LossPlot(QWidget):
    """Two pyqtgraph plots fed by `add_progress(data)` with the engine's Progress.data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: dict[str, Series] = {}
        self._dice = Series(64)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._dirty = False
        self.loss_plot = self._make_plot("Training loss (log scale)", "iteration", "loss")
        # Log scale: loss terms differ by orders of magnitude and a diverging run would
        # flatten every other curve on a linear axis.
        self.loss_plot.setLogMode(x=False, y=True)
        # Hours of training are 10^5 points per curve: draw only what is in view, reduced
        # to min/max pairs per pixel column (peak mode keeps every spike visible).
        self.loss_plot.setClipToView(True)
        self.loss_plot.setDownsampling(auto=True, mode="peak")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.dice_plot = self._make_plot("Validation mean Dice", "epoch", "Dice")
        self.dice_plot.setYRange(0.0, 1.0)
        self._dice_curve = self.dice_plot.plot(
            [], [], pen=pg.mkPen("#3cb44b", width=2), symbol="o", symbolSize=6
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.dice_plot, 2)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(lambda: self.redraw(max_new_curves=1))
        self._timer.start()

    @staticmethod
    def _make_plot(title: str, xlabel: str, ylabel: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(title=title)
        plot.setBackground("w")
        plot.setLabel("bottom", xlabel)
        plot.setLabel("left", ylabel)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setMinimumSize(220, 160)
        return plot

    # -- data in ---------------------------------------------------------------------------
    def add_progress(self, data: dict[str, Any]) -> None:
        """Record the points one Progress.data carries; the timer draws them later."""
        iteration = data.get("iteration")
        losses = data.get("losses") or {}
        if iteration is not None and losses:
            for name, value in losses.items():
                self._append(str(name), float(iteration), value)
            if TOTAL not in losses and "loss" not in losses:
                self._append(TOTAL, float(iteration), sum(_finite(v) for v in losses.values()))
        dice = data.get("val_mean_dice")
        epoch = data.get("epoch")
        # The engine may repeat the epoch's Dice on later events: keep one point per epoch.
        if dice is not None and epoch is not None and self._dice.last_x() != float(epoch):
            self._dice.append(float(epoch), _finite(dice))
            self._dirty = True

    def _append(self, name: str, x: float, value: Any) -> None:
        series = self._series.get(name)
        if series is None:
            series = self._series[name] = Series()
        if series.last_x() == x:
            return  # same iteration repeated (e.g. an epoch-end event)
        series.append(x, _finite(value))
        self._dirty = True

    def clear(self) -> None:
        self._series.clear()
        self._dice = Series(64)
        for curve in self._curves.values():
            self.loss_plot.removeItem(curve)
        self._curves.clear()
        self._dice_curve.setData([], [])
        legend = self.loss_plot.plotItem.legend
        if legend is not None:
            legend.clear()
        self._dirty = False

    # -- drawing ---------------------------------------------------------------------------
    def redraw(self, max_new_curves: int | None = None) -> None:
        """Push buffered points to the curves (called by the timer; cheap when idle).

        Adding a curve and its legend entry costs a few ms of layout; the first event of a
        run brings all loss terms at once, so the timer adds at most one new curve per tick
        (`max_new_curves=1`) and the others follow on the next ticks.
        """
        if not self._dirty:
            return
        self._dirty = False
        for name, series in self._series.items():
            curve = self._curves.get(name)
            if curve is None:
                if max_new_curves is not None and max_new_curves <= 0:
                    self._dirty = True  # draw it on a later tick
                    continue
                curve = self._new_curve(name)
                if max_new_curves is not None:
                    max_new_curves -= 1
            curve.setData(series.x, series.y)
        self._dice_curve.setData(self._dice.x, self._dice.y)

    def _new_curve(self, name: str) -> pg.PlotDataItem:
        color = "#000000" if name in (TOTAL, "loss") else _PALETTE[len(self._curves) % 7]
        width = 2 if name in (TOTAL, "loss") else 1
        curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen(color, width=width), name=name, connect="finite"
        )
        # pyqtgraph's default draws ~5 samples per pixel column; a min/max pair per column
        # (peak mode) shows the same envelope at a fifth of the painting.
        curve.opts["autoDownsampleFactor"] = 1.0
        self._curves[name] = curve
        return curve

    # -- read back (tests, screenshots) ----------------------------------------------------
    def series_names(self) -> list[str]:
        return list(self._series)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The recorded (iterations, values) of one curve, drawn or not yet."""
        series = self._series[name]
        return series.x, series.y

    def curve_points(self, name: str) -> int:
        """Points currently drawn on the curve `name` (0 before the first redraw)."""
        curve = self._curves.get(name)
        if curve is None or curve.xData is None:
            return 0
        return len(curve.xData)

    def dice_points(self) -> int:
        x = self._dice_curve.xData
        return 0 if x is None else len(x)


def _finite(value: Any) -> float:
    """A float for the plot; anything unreadable becomes NaN (drawn as a gap)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
