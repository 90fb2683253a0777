"""Loss curves: points buffered per event, drawn by the timer, one Dice point per epoch."""

from __future__ import annotations

import math

import numpy as np

from vertapp.gui.loss_plot import LossPlot


def test_points_are_buffered_then_drawn(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot._timer.stop()  # drive the redraw by hand
    for it in range(1, 6):
        plot.add_progress({"iteration": it, "epoch": 1, "losses": {"a": 1.0 / it, "b": 2.0}})
    assert plot.curve_points("a") == 0  # nothing painted per event
    plot.redraw()
    assert plot.curve_points("a") == 5 and plot.curve_points("total") == 5
    xs, ys = plot.series("total")
    assert ys[-1] == 2.2 and xs.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    plot.add_progress({"iteration": 5, "epoch": 1, "val_mean_dice": 0.25})
    plot.add_progress({"iteration": 5, "epoch": 1, "val_mean_dice": 0.25})  # repeated
    plot.add_progress({"epoch": 2, "val_mean_dice": 0.5})
    plot.redraw()
    assert plot.dice_points() == 2
    plot.add_progress({"iteration": 6, "losses": {"a": "nan?", "total": 1.0}})
    assert math.isnan(plot.series("a")[1][-1])
    assert plot.series("total")[1][-1] == 1.0  # the engine's own total is used as is
    plot.clear()
    assert plot.series_names() == [] and plot.dice_points() == 0


def test_timer_redraws(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_progress({"iteration": 1, "losses": {"a": 1.0, "b": 2.0, "c": 3.0}})
    plot.redraw(max_new_curves=1)  # what one timer tick does: one new curve (+ legend row)
    assert plot.curve_points("a") == 1 and plot.curve_points("b") == 0
    # The timer adds the others on its next ticks (b, c and the summed total).
    qtbot.waitUntil(lambda: plot.curve_points("total") == 1, timeout=3000)
    assert plot.curve_points("b") == plot.curve_points("c") == 1


def test_long_run_grows_buffers_and_draws_downsampled(qtbot) -> None:
    """10^4 iterations: every point kept in order, drawn reduced to the plot's width."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.show()
    qtbot.waitExposed(plot)
    plot._timer.stop()
    n = 10_000
    for it in range(1, n + 1):
        spike = it == 5003  # one diverging iteration must stay visible
        plot.add_progress({"iteration": it, "losses": {"a": 10.0 if spike else 1.0 / it}})
    plot.redraw()
    xs, ys = plot.series("a")
    assert len(xs) == n and xs[0] == 1.0 and xs[-1] == n
    expected = 1.0 / np.arange(1, n + 1)
    expected[5002] = 10.0
    assert np.array_equal(ys, expected)
    assert plot.curve_points("a") == n  # the curve holds the whole run...
    curve = plot._curves["a"]
    # ...but, once the view has ranged to the data, draws one min/max pair per pixel
    # column of the ~300 px wide view, not every point.
    qtbot.waitUntil(lambda: len(curve.getData()[0]) < n / 10, timeout=2000)
    shown_x, shown_y = curve.getData()
    assert shown_x[0] <= n / 100 and shown_x[-1] >= n - n / 100  # the whole run is in view
    # Peak mode keeps the extremes (drawn on the log axis): the one-iteration spike too.
    assert np.nanmax(shown_y) == 1.0 and np.nanmin(shown_y) < np.log10(1.0 / (n - 50))
