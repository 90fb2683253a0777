"""Window/level of the radiograph on screen: W and L boxes, presets, right-drag.

The same controls as the axial CT view (right-drag: horizontal the width, vertical the
level; W and L boxes; a preset list; F5/F6/F7), on the radiograph's own pixel values: the
16-bit values of a DICOM or TIFF, never the 8-bit copy a project keeps for the model.
The presets, the drag step and the 8-bit picture of a window come from
`vertapp.xray.display` (percentiles of the image; OpenCV renders a step in about 1 ms).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from vertapp.gui.views.canvas import ImageCanvas
from vertapp.xray import display

CUSTOM = "Custom"
# The presets F5, F6, F7 apply on a radiograph (on a CT they are Bone, Soft tissue, Lung).
KEY_PRESETS: tuple[str, ...] = ("Bone", "Soft tissue", "Automatic")


class RadiographLevels(QWidget):
    """The W/L bar of the annotation view; shown only while a radiograph is."""

    def __init__(self, canvas: ImageCanvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.active = False
        self.wl = (1.0, 0.5)
        self.value_range = (0.0, 1.0)
        self.presets: dict[str, tuple[float, float]] = {}
        self.film: np.ndarray | None = None  # the shown radiograph's values, float32
        # The preset last chosen opens the next film too (its own percentiles): browsing a
        # series keeps the bone window; typed or dragged numbers stay with their film.
        self.chosen = display.DEFAULT
        self.width_box = self._box("Window width")
        self.level_box = self._box("Window level / centre")
        self.preset = QComboBox()
        self.preset.addItems([*display.PERCENTILES, CUSTOM])
        self.preset.setToolTip(
            "Window/level preset, from the image's own values (percentiles): right-drag on "
            "the image to adjust; F5 bone, F6 soft tissue, F7 automatic"
        )
        self.preset.currentTextChanged.connect(self.apply_preset)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("W"), self.width_box, QLabel("L"), self.level_box, self.preset):
            row.addWidget(widget)
        canvas.viewbox.tools.insert(0, LevelDrag(self))  # before the polygon tool
        self.hide()

    def _box(self, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setDecimals(0)
        box.setToolTip(f"{tip} (the image's own values): type a value, or right-drag")
        box.setKeyboardTracking(False)  # apply on Enter / focus out, not on every digit
        box.valueChanged.connect(
            lambda _v: self.set_window(self.width_box.value(), self.level_box.value())
        )
        return box

    def show_image(self, image: np.ndarray | None) -> np.ndarray | None:
        """Take a new radiograph (None: a MIP or nothing, the bar hides); the 8-bit picture
        of its automatic window, to show."""
        self.active = image is not None
        self.setVisible(self.active)
        if image is None:
            self.film = None
            return None
        self.film = film = display.as_film(image)
        self.value_range = display.value_range(image)
        self.presets = display.window_presets(image)
        lo, hi = self.value_range
        span = max(hi - lo, 1e-6)
        decimals = 0 if span >= 100 else 3  # values of 0..1 still get numbers
        limits = ((display.min_width(lo, hi), 4.0 * span), (lo - span, hi + span))
        for box, (low, high) in zip((self.width_box, self.level_box), limits, strict=True):
            box.blockSignals(True)  # clamping to the new range is no edit of the user's
            box.setDecimals(decimals)
            box.setSingleStep(span / 100.0)
            box.setRange(low, high)
            box.blockSignals(False)
        self.wl = self.presets[self.chosen]
        self._show_numbers()
        return display.render(film, *self.wl)

    def set_window(self, width: float, level: float) -> None:
        if self.film is None:
            return
        self.wl = (float(width), float(level))
        self.canvas.set_image(display.render(self.film, *self.wl), levels=(0.0, 255.0))
        self._show_numbers()

    def apply_preset(self, name: str) -> bool:
        """Apply a preset by name; False when no radiograph is shown or no such preset."""
        if not self.active or name not in self.presets:
            return False
        self.chosen = name
        self.set_window(*self.presets[name])
        return True

    def apply_key(self, index: int) -> bool:
        """F5 / F6 / F7 (index 0, 1, 2) on a radiograph; False on a CT."""
        return 0 <= index < len(KEY_PRESETS) and self.apply_preset(KEY_PRESETS[index])

    def _show_numbers(self) -> None:
        for box, value in ((self.width_box, self.wl[0]), (self.level_box, self.wl[1])):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        name = next((n for n, wl in self.presets.items() if np.allclose(wl, self.wl)), CUSTOM)
        self.preset.blockSignals(True)
        self.preset.setCurrentText(name)
        self.preset.blockSignals(False)

    def text(self) -> str:
        """The window as the bar shows it (tests, screenshots)."""
        return f"W {self.width_box.text()}  L {self.level_box.text()}  {self.preset.currentText()}"


class LevelDrag:
    """Right-drag on a radiograph: horizontal the width, vertical the level."""

    def __init__(self, levels: RadiographLevels) -> None:
        self.levels = levels
        self._start: tuple[float, float] | None = None

    def click(self, ev: Any, pos: QPointF) -> bool:
        return False

    def drag(self, ev: Any, pos: QPointF) -> bool:
        if ev.button() != Qt.MouseButton.RightButton or not self.levels.active:
            return False
        if ev.isStart():
            self._start = self.levels.wl
        if self._start is None:
            return True
        delta = ev.screenPos() - ev.buttonDownScreenPos()
        lo, hi = self.levels.value_range
        self.levels.set_window(*display.drag_window(self._start, delta.x(), delta.y(), lo, hi))
        if ev.isFinish():
            self._start = None
        return True
