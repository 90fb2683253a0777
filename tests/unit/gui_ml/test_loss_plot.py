"""Loss curves: points buffered per event, drawn by the timer, one Dice point per epoch."""

from __future__ import annotations

import math

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
    xs, ys = plot._series["total"]
    assert ys[-1] == 2.2 and xs == [1.0, 2.0, 3.0, 4.0, 5.0]
    plot.add_progress({"iteration": 5, "epoch": 1, "val_mean_dice": 0.25})
    plot.add_progress({"iteration": 5, "epoch": 1, "val_mean_dice": 0.25})  # repeated
    plot.add_progress({"epoch": 2, "val_mean_dice": 0.5})
    plot.redraw()
    assert plot.dice_points() == 2
    plot.add_progress({"iteration": 6, "losses": {"a": "nan?", "total": 1.0}})
    assert math.isnan(plot._series["a"][1][-1])
    assert plot._series["total"][1][-1] == 1.0  # the engine's own total is used as is
    plot.clear()
    assert plot.series_names() == [] and plot.dice_points() == 0


def test_timer_redraws(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_progress({"iteration": 1, "losses": {"a": 1.0}})
    qtbot.waitUntil(lambda: plot.curve_points("a") == 1, timeout=2000)
