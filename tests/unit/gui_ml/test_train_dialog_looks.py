"""How the Train dialog looks: whole-number iteration ticks, loss curves of distinct
colours, every setting in words, a size that fits the screen (fake jobs, no engine)."""

from __future__ import annotations

import colorsys

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSize  # noqa: E402

from tests.unit.gui_ml.test_train_dialog import IMAGES, fake_train  # noqa: E402
from vertapp.gui.model.loss_plot import PLAIN_NAMES_MASK_RCNN, LossPlot  # noqa: E402
from vertapp.gui.model.train_dialog import SCREEN_SHARE, TrainDialog, fitted_size  # noqa: E402


@pytest.fixture
def plot(qtbot) -> LossPlot:  # type: ignore[no-untyped-def]
    widget = LossPlot()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    return widget


def tick_values(plot: LossPlot, lo: float, hi: float) -> list[float]:
    axis = plot.loss_plot.getPlotItem().getAxis("bottom")
    return [v for _spacing, values in axis.tickValues(lo, hi, 400) for v in values]


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 1.0), (-0.04, 2.04), (0.98, 2.02), (0, 7), (0, 1200)])
def test_the_iteration_axis_has_whole_number_ticks(plot, lo, hi) -> None:  # type: ignore[no-untyped-def]
    """0.5 and 1.5 early in a run, 0.1 .. 0.9 on the empty plot."""
    values = tick_values(plot, lo, hi)
    assert values and all(v == int(v) for v in values), values


def test_the_empty_plot_shows_whole_iterations(plot) -> None:  # type: ignore[no-untyped-def]
    (lo, hi), _ = plot.loss_view.range
    values = [v for v in tick_values(plot, lo, hi) if lo <= v <= hi]
    assert len(values) >= 3 and all(v == int(v) for v in values), values


def hue_family(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue = colorsys.rgb_to_hsv(r, g, b)[0] * 360
    # crimson, magenta and violet read alike as thin lines: one family
    for name, end in (("red", 15), ("orange", 45), ("yellow", 70), ("green", 165)):
        if hue < end:
            return name
    for name, end in (("cyan", 195), ("blue", 260), ("purple", 345)):
        if hue < end:
            return name
    return "red"


def contrast_on_white(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_each_loss_term_has_its_own_colour_readable_on_white(plot) -> None:  # type: ignore[no-untyped-def]
    terms = [n for n in PLAIN_NAMES_MASK_RCNN if n != "total"]
    for it in (1, 2, 3):
        plot.add_progress({"iteration": it, "losses": {n: 1.0 / it for n in terms}})
    plot.redraw()
    colours = {n: plot._curves[n].opts["pen"].color().name() for n in terms}
    families = {n: hue_family(c) for n, c in colours.items()}
    assert len(set(families.values())) == len(terms), families
    assert all(contrast_on_white(c) >= 3.0 for c in colours.values()), colours


def test_every_setting_has_words(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The setting 'min scale' was the one row named by its code."""
    dialog = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dialog)
    form = dialog.settings
    for name, widget in form._widgets.items():
        label = form._layout.labelForField(widget)
        if label is not None:
            assert label.text() != name.replace("_", " "), name


@pytest.mark.parametrize("screen", [QSize(1280, 720), QSize(1600, 1000), QSize(1920, 1080)])
def test_the_dialog_fits_the_screen(screen) -> None:  # type: ignore[no-untyped-def]
    minimum = QSize(971, 442)
    size = fitted_size(minimum, screen)
    assert size.width() <= SCREEN_SHARE * screen.width()
    assert size.height() <= SCREEN_SHARE * screen.height()
    assert size.width() >= minimum.width() and size.height() >= minimum.height()
    assert fitted_size(QSize(2000, 900), QSize(1280, 720)) == QSize(2000, 900)  # its minimum


def test_the_dialog_opens_within_its_screen(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """It opened at 1200 x 720, a 720 px screen's whole height, the title bar off-screen."""
    dialog = TrainDialog(IMAGES, tmp_path / "m.pt", fake_train())
    qtbot.addWidget(dialog)
    room = dialog.screen().availableGeometry()
    least = dialog.minimumSizeHint()
    assert dialog.height() <= max(SCREEN_SHARE * room.height(), least.height())
    assert dialog.width() <= max(SCREEN_SHARE * room.width(), least.width())
