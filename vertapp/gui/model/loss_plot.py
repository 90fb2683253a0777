"""Live training curves: one line per loss term against iteration, validation Dice per epoch.

Training can emit many progress events per second; repainting a plot for each would
stall the event loop. Points are only appended to preallocated numpy buffers when they
arrive and the curves are redrawn by a timer (`REDRAW_MS`), so the cost per event is
constant and tiny. A long run (hours, 10^5 iterations) must not slow the redraw down
either: the curves are handed views of the buffers (no list -> array copy) and drawn
clipped to the visible range and peak-downsampled to the plot's width.

Painting is what costs the event loop time (software rendering, tens of ms per full
repaint with pyqtgraph's autorange). The view therefore follows the data in steps
(`nice_ceil`: iterations 0..1000, then 0..1200, ...; the log loss axis in half decades)
instead of re-fitting on every redraw, and the axes (tick labels and grid) are cached as
pixmaps: a redraw within the current view repaints the curves only. Once the user pans
or zooms a plot it stays where they put it until its "A" button is clicked.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QGraphicsItem, QWidget

from vertapp.gui.widgets.qt_override import qt_override

REDRAW_MS = 250
# The engines' loss terms in words (torchvision's Mask R-CNN, the U-Net); the legend shows
# these, the data keeps the engine's keys. Others lose their "loss_" and underscores.
PLAIN_NAMES = {
    "loss_classifier": "classification",
    "loss_box_reg": "box regression",
    "loss_mask": "mask",
    "loss_objectness": "objectness (RPN)",
    "loss_rpn_box_reg": "box regression (RPN)",
    "loss_ce": "cross-entropy",
    "loss_dice": "Dice",
}
# The terms of every Mask R-CNN run (all presets) and their total: the legend's rows.
PLAIN_NAMES_MASK_RCNN = ("total", "loss_classifier", "loss_box_reg", "loss_mask",
                         "loss_objectness", "loss_rpn_box_reg")  # fmt: skip
LEGEND_COLUMNS = 2
# Narrower than this (the training dialog at its default 1200 px gives ~520), the Dice plot
# goes under the loss plot: side by side, the loss plot had ~300 px for its curves, title
# and legend, and pyqtgraph cut what did not fit.
SIDE_BY_SIDE_PX = 720
# Loss terms torchvision's Mask R-CNN returns get fixed colours, each of its own hue
# family and dark enough to read as a thin line on white; others take the rest in turn.
# By arrival order from one palette, "classification" (crimson) and "box regression (RPN)"
# (purple) were two similar purples.
TERM_COLOURS = {
    "loss_classifier": "#d62728",  # red
    "loss_box_reg": "#2ca02c",  # green
    "loss_mask": "#1f77b4",  # blue
    "loss_objectness": "#e07000",  # orange
    "loss_rpn_box_reg": "#7b3294",  # purple
    "loss_ce": "#d62728",  # the U-Net's two terms
    "loss_dice": "#1f77b4",
}
_PALETTE = ("#8c564b", "#008080", "#7f7f7f", "#a6761d", "#c51b7d")  # the other terms
TOTAL = "total"
TERM_WIDTH = 1  # px (wider lines cost painting time); the total: 2, black
_DICE_RANGE = (-0.02, 1.02)
EMPTY_ITERATIONS = (0.0, 10.0)
_DICE_EPOCHS = (0.0, 1.5)  # epochs are whole numbers: half an epoch of margin
# View extents the curves grow into: at least 5/6 of the width is data, and the range
# changes a few times per decade of iterations rather than on every redraw.
_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(value: float) -> float:
    """The smallest m x 10^k >= value with m in `_NICE_STEPS` (1.0 for value <= 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    k = math.floor(math.log10(value))
    for step in _NICE_STEPS:
        # step / 10^-k rather than step * 10^k: 0.3, not 0.30000000000000004
        nice = step * 10.0**k if k >= 0 else step / 10.0**-k
        if nice >= value * (1 - 1e-12):
            return nice
    return 10.0 ** (k + 1)


def epoch_tick_step(last_epoch: float) -> float:
    """Whole-epoch tick spacing (1, 2, 5, 10, 20, ...) giving at most about 10 ticks."""
    if not math.isfinite(last_epoch):
        return 1.0
    decade = 1
    while True:
        for m in (1, 2, 5):
            if last_epoch <= 10 * m * decade:
                return float(m * decade)
        decade *= 10


class WholeNumberAxis(pg.AxisItem):
    """An axis of whole numbers (iterations): ticks 1, 2, 5, 10, ... apart, never at
    0.5 or 1.5 (pyqtgraph's own spacing for a view of two iterations, 0.1..0.9 empty)."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802, N803 (pyqtgraph's names)
        levels = super().tickSpacing(minVal, maxVal, size)
        whole = [(step, offset) for step, offset in levels if step >= 1 and step == int(step)]
        return whole or [(1.0, 0.0)]


class Series:
    """x/y points in float64 buffers that grow by doubling; `x`/`y` are views, no copy."""

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0
        self.lo = math.inf  # smallest and largest positive finite y (the log axis range)
        self.hi = -math.inf

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty(len(self._x))])
            self._y = np.concatenate([self._y, np.empty(len(self._y))])
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        if 0 < y < math.inf:
            self.lo = min(self.lo, y)
            self.hi = max(self.hi, y)

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def last_x(self) -> float | None:
        return float(self._x[self.n - 1]) if self.n else None

    def first_x(self) -> float | None:
        return float(self._x[0]) if self.n else None


class SteppedView:
    """Keeps one plot's view on its data, changing the range only in steps.

    pyqtgraph's own autorange re-fits the view to the data before every paint, and a
    range change re-lays out and repaints both axes with their grid. Here the range is
    set only when `show(x_range, y_range)` asks for a different one. A pan or zoom by the
    user stops the following; the plot's "A" (auto-range) button resumes it.
    """

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.plot = plot
        self.following = True
        self._wanted: tuple[tuple[float, float], tuple[float, float]] | None = None
        self._applied: tuple[tuple[float, float], tuple[float, float]] | None = None
        item = plot.getPlotItem()
        item.disableAutoRange()
        item.vb.sigRangeChangedManually.connect(self._taken_over)
        item.autoBtn.clicked.connect(self.resume)  # after pyqtgraph's own slot
        for name in ("left", "bottom", "top", "right"):
            # Tick labels and grid are replayed from a QPicture on every paint (a few ms
            # with the grid across the view); a pixmap cache blits them until the range
            # or size changes, which pyqtgraph signals with update().
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def _taken_over(self, *_: object) -> None:
        self.following = False

    def resume(self, *_: object) -> None:
        self.following = True
        self.plot.getPlotItem().disableAutoRange()
        self._applied = None
        if self._wanted is not None:
            self.show(*self._wanted)

    def show(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self._wanted = (x_range, y_range)
        if self.following and self._wanted != self._applied:
            self._applied = self._wanted
            self.plot.setRange(xRange=x_range, yRange=y_range, padding=0)

    @property
    def range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The view's current ((x0, x1), (y0, y1)), in view coordinates (log10 for log)."""
        (x0, x1), (y0, y1) = self.plot.getPlotItem().vb.viewRange()
        return (x0, x1), (y0, y1)


class LossPlot(QWidget):
    """Two pyqtgraph plots fed by `add_progress(data)` with the engine's Progress.data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: dict[str, Series] = {}
        self._dice = Series(64)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._dirty = False
        self._dice_dirty = False
        # A short title: the plot is ~300 px wide in the dialog, and pyqtgraph cuts what
        # does not fit ("Training loss (log"); the axis says the scale.
        self.loss_plot = self._make_plot(
            "Training loss", "iteration", "loss (log scale)", WholeNumberAxis("bottom")
        )
        # Log scale: loss terms differ by orders of magnitude and a diverging run would
        # flatten every other curve on a linear axis.
        self.loss_plot.setLogMode(x=False, y=True)
        # Hours of training are 10^5 points per curve: draw only what is in view, reduced
        # to min/max pairs per pixel column (peak mode keeps every spike visible).
        self.loss_plot.setClipToView(True)
        self.loss_plot.setDownsampling(auto=True, mode="peak")
        self._legend_columns = 0
        self._legend_below(LEGEND_COLUMNS)
        self.dice_plot = self._make_plot("Validation mean Dice", "epoch", "Dice")
        self.loss_view = SteppedView(self.loss_plot)
        # an empty plot's iterations: whole numbers (pyqtgraph's 0..1 had none inside)
        self.loss_plot.setXRange(*EMPTY_ITERATIONS, padding=0.02)
        self.dice_view = SteppedView(self.dice_plot)
        self.dice_view.show(_DICE_EPOCHS, _DICE_RANGE)
        self.dice_plot.getPlotItem().getAxis("bottom").setTickSpacing(1.0, 1.0)
        # One point below the view, never seen: the first symbol pyqtgraph paints costs
        # ~30-40 ms (its symbol atlas), which the first epoch's Dice point paid on the GUI
        # thread while training ran; painted with the dialog instead. `clear()` (a run's
        # start) and the first real point replace it; until then it is no Dice point.
        self._dice_curve = self.dice_plot.plot(
            [0.75], [-1.0], pen=pg.mkPen("#3cb44b", width=2), symbol="o", symbolSize=6
        )
        self._dice_warm_up = True
        # The total's curve exists before any run: the first curve painted cost ~28 ms
        # (pyqtgraph's first path and legend text), paid with the dialog instead of in a
        # tick of the run; `clear()` keeps it, emptied.
        self._new_curve(TOTAL)
        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.loss_plot, 3)
        self._layout.addWidget(self.dice_plot, 2)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(lambda: self.redraw(max_new_curves=1))
        self._timer.start()

    def _legend_below(self, columns: int) -> None:
        """The legend in rows under the x axis: inside the plot it hid the curves."""
        item = self.loss_plot.getPlotItem()
        if item.legend is not None:  # a new one: pyqtgraph's own re-flow leaves holes
            item.layout.removeItem(item.legend)
            self.loss_plot.scene().removeItem(item.legend)
        legend = pg.LegendItem(colCount=columns, labelTextColor=(40, 40, 40))
        # Room for a Mask R-CNN run's rows from the start: a legend that grew by a row as
        # each loss term arrived shrank the plot's view, and every such resize re-laid out
        # and repainted the plot, up to 70 ms of the GUI thread while training ran.
        probe = pg.LabelItem("Xg")
        row = probe.itemRect().height() + legend.layout.verticalSpacing() + 4
        legend.setMinimumHeight(row * (math.ceil(len(PLAIN_NAMES_MASK_RCNN) / columns) + 0.5))
        item.layout.addItem(legend, 4, 1)
        item.legend = legend  # plot(name=...) adds its row here
        for curve in self._curves.values():
            legend.addItem(curve, curve.name())
        self._legend_columns = columns

    def _fit_legend(self) -> None:
        """Two columns where both fit, else one. pyqtgraph does not wrap a legend: one
        wider than the plot widened the plot past its widget, cutting the title, the
        legend and the right of the curves."""
        item = self.loss_plot.getPlotItem()
        legend = item.legend
        if legend is None:
            return
        # the text's own width: a label item is stretched to its column once laid out
        texts = [s.boundingRect().width() + t.item.boundingRect().width() for s, t in legend.items]
        gaps = (2 * LEGEND_COLUMNS - 1) * legend.layout.horizontalSpacing()  # sample | text
        room = self.loss_plot.width() - item.getAxis("left").width() - 24  # item margins
        columns = LEGEND_COLUMNS if LEGEND_COLUMNS * max(texts, default=0) + gaps <= room else 1
        if columns != self._legend_columns:
            self._legend_below(columns)

    @qt_override
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        side = event.size().width() >= SIDE_BY_SIDE_PX
        direction = QBoxLayout.Direction.LeftToRight if side else QBoxLayout.Direction.TopToBottom
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
            self._layout.activate()  # the plots' new widths, before the legend is fitted
        super().resizeEvent(event)
        self._fit_legend()

    @staticmethod
    def _make_plot(
        title: str, xlabel: str, ylabel: str, bottom: pg.AxisItem | None = None
    ) -> pg.PlotWidget:
        plot = pg.PlotWidget(title=title, axisItems={"bottom": bottom} if bottom else None)
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
            self._dice_dirty = True

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
        others = [name for name in self._curves if name != TOTAL]
        for name in others:  # the total's curve stays, emptied (see __init__)
            self.loss_plot.removeItem(self._curves.pop(name))  # its legend row goes too
        if TOTAL in self._curves:
            self._curves[TOTAL].setData([], [])
        if others:  # rows taken out of a pyqtgraph legend leave holes: lay it out anew
            self._legend_below(self._legend_columns or LEGEND_COLUMNS)
        self._dice_curve.setData([], [])
        self._dice_warm_up = False
        self._dirty = self._dice_dirty = False
        self.loss_view.resume()
        self.dice_view.resume()
        self.dice_view.show(_DICE_EPOCHS, _DICE_RANGE)

    # -- drawing ---------------------------------------------------------------------------
    def redraw(self, max_new_curves: int | None = None) -> None:
        """Push buffered points to the curves (called by the timer; cheap when idle).

        Some steps cost several ms of layout and painting: adding a curve with its legend
        row, a new view range (both axes re-laid out), a Dice point. The first event of a
        run brings all loss terms at once and the first Dice point comes with new loss
        points, so the timer (`max_new_curves=1`) spreads them: at most one new curve per
        tick, the loss view re-ranged on a tick that added none, the Dice plot on a tick
        of its own. What is left follows on the next ticks (4 per second).
        """
        spread = max_new_curves is not None
        if self._dice_dirty:
            self._dice_dirty = False
            self._dice_curve.setData(self._dice.x, self._dice.y)
            self._dice_warm_up = False
            last = nice_ceil(self._dice.last_x() or 0.0)
            self.dice_view.show((0.0, last + 0.5), _DICE_RANGE)
            step = epoch_tick_step(last)
            self.dice_plot.getPlotItem().getAxis("bottom").setTickSpacing(step, step)
            if spread:
                return
        if not self._dirty:
            return
        self._dirty = False
        added = 0
        for name, series in self._series.items():
            curve = self._curves.get(name)
            if curve is None:
                if spread and added >= (max_new_curves or 0):
                    self._dirty = True  # draw it on a later tick
                    continue
                curve = self._new_curve(name)
                added += 1
            curve.setData(series.x, series.y)
        ranges = self._loss_ranges()
        if ranges is None:
            return
        if spread and added:
            self._dirty = True  # re-range on the next tick
        else:
            self.loss_view.show(*ranges)

    def _loss_ranges(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The stepped view of all loss curves: x from 0 (or the first iteration of a
        resumed run), y (log10) in half decades around every positive value."""
        series = [s for s in self._series.values() if s.n]
        if not series:
            return None
        first = min(s.first_x() or 0.0 for s in series)
        last = max(s.last_x() or 0.0 for s in series)
        x0 = 0.0 if first <= last - first else first
        x1 = x0 + nice_ceil(last - x0)
        lo = min(s.lo for s in series)
        hi = max(s.hi for s in series)
        if not hi > 0:
            return None
        y0 = math.floor(2 * math.log10(lo)) / 2
        y1 = max(math.ceil(2 * math.log10(hi)) / 2, y0 + 0.5)
        xpad, ypad = 0.02 * (x1 - x0), 0.04 * (y1 - y0)
        return (x0 - xpad, x1 + xpad), (y0 - ypad, y1 + ypad)

    def _new_curve(self, name: str) -> pg.PlotDataItem:
        color = term_colour(name, [n for n in self._curves if n not in TERM_COLOURS])
        width = 2 if name in (TOTAL, "loss") else TERM_WIDTH
        curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen(color, width=width), name=plain_name(name), connect="finite"
        )
        # pyqtgraph's default draws ~5 samples per pixel column; a min/max pair per column
        # (peak mode) shows the same envelope at a fifth of the painting.
        curve.opts["autoDownsampleFactor"] = 1.0
        self._curves[name] = curve
        self._fit_legend()  # a longer name may need the legend in one column
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
        """Dice points currently drawn (a fresh plot's hidden warm-up point is none)."""
        x = self._dice_curve.xData
        return 0 if x is None or self._dice_warm_up else len(x)


def term_colour(name: str, others: list[str]) -> str:
    """A loss curve's colour: the total's black, a known term's own (TERM_COLOURS), any
    other the next of _PALETTE after the `others` curves drawn already."""
    if name in (TOTAL, "loss"):
        return "#000000"
    if name in TERM_COLOURS:
        return TERM_COLOURS[name]
    n = sum(o not in (TOTAL, "loss") for o in others)
    return _PALETTE[n % len(_PALETTE)]


def plain_name(name: str) -> str:
    """A loss term in words for the legend: "box regression (RPN)", not loss_rpn_box_reg."""
    return PLAIN_NAMES.get(name) or name.removeprefix("loss_").replace("_", " ")


def _finite(value: Any) -> float:
    """A float for the plot; anything unreadable becomes NaN (drawn as a gap)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
