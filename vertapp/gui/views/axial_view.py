"""Axial CT slices with window/level, slice scrolling and the canal circle overlay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QGraphicsEllipseItem,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vertapp.gui.views.axial_tools import PointClick, WindowLevelDrag
from vertapp.gui.views.canvas import ImageCanvas
from vertapp.gui.widgets.colors import NO_CIRCLE, SLICE_LINE, cluster_color
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.io.volume import Volume

MEASURED = QColor(60, 170, 90)  # "canal measured": found on this slice
# Bridged (interpolated between measured slices) is normal at every disc level: said in a
# neutral grey, so red stays for what needs a look (a low share of the whole track).
BRIDGED = QColor(115, 115, 115)

PAGE_SLICES = 10  # PgUp / PgDown while the view has the keyboard
# Keys the view takes while its image or slider has the keyboard (click it first), as in
# 3D Slicer and ITK-SNAP: key -> (slices toward the head, what the shortcuts sheet says).
# Elsewhere in the window PgUp / PgDown step one slice (View menu); Ctrl+Up / Ctrl+Down
# step images, so only unmodified keys are taken.
SLICE_KEYS: dict[Qt.Key, tuple[int, str]] = {
    Qt.Key.Key_Up: (1, "Slice up (toward the head)"),
    Qt.Key.Key_Down: (-1, "Slice down (toward the feet)"),
    Qt.Key.Key_PageUp: (PAGE_SLICES, f"{PAGE_SLICES} slices up"),
    Qt.Key.Key_PageDown: (-PAGE_SLICES, f"{PAGE_SLICES} slices down"),
}
KEYS_TITLE = "Axial view (click its image first)"

# (width, level) in HU, as CT viewers name them.
WINDOW_PRESETS: dict[str, tuple[float, float]] = {
    "Bone": (1800.0, 400.0),
    "Soft tissue": (400.0, 40.0),
    "Lung": (1500.0, -600.0),
}


@dataclass(frozen=True)
class CanalCircle:
    """One canal circle in LPS mm, with its cluster."""

    z_mm: float
    x_mm: float
    y_mm: float
    r_mm: float
    cluster: int
    on_track: bool = False  # part of the spine's canal track
    bridged: bool = False  # no circle here: the track's centre, interpolated


class AxialView(QWidget):
    """Shows `volume.array[k]` for the current slice k; emits where the cursor is."""

    slice_changed = Signal(int)
    cursor_info = Signal(str)
    point_clicked = Signal(object)  # LPS mm (3,) of a left click: the linked cursor

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.volume: Volume | None = None
        self.circles: dict[int, list[CanalCircle]] = {}
        self.spine_cluster = -1
        self.index = 0
        self.wl = WINDOW_PRESETS["Bone"]
        self.canvas = ImageCanvas(self)
        self.canvas.viewbox.tools.append(WindowLevelDrag(self))
        self.canvas.viewbox.tools.append(PointClick(self))
        self.marker = pg.ScatterPlotItem(
            size=16, symbol="+", pen=pg.mkPen(SLICE_LINE, width=2), brush=None
        )
        self.marker.setZValue(12)
        self.canvas.viewbox.addItem(self.marker, ignoreBounds=True)
        self.marker_lps: np.ndarray | None = None
        self._mouse: tuple[float, float] | None = None  # last cursor, re-read on scroll
        self.canvas.viewbox.wheel_handler = self._wheel
        self.canvas.mouse_moved.connect(self._report_cursor)
        self.slider = QSlider(Qt.Orientation.Vertical)
        self.slider.setPageStep(PAGE_SLICES)
        self.head_step = 1  # the index step toward the head (set per volume)
        self.slider.valueChanged.connect(self.set_slice)
        self.preset = QComboBox()
        self.preset.addItems([*WINDOW_PRESETS, "Custom"])
        self.preset.setToolTip("Window/level preset (right-drag on the image to adjust)")
        self.preset.currentTextChanged.connect(self._apply_preset)
        self.width_box = self._hu_box("Window width (HU)", 1.0, 10000.0, self.wl[0])
        self.level_box = self._hu_box("Window level / centre (HU)", -2000.0, 4000.0, self.wl[1])
        self.info = QLabel("No volume")
        self.info.setWordWrap(True)  # a long "Source CT ..." wraps instead of being cut
        self.warning = QLabel("")
        self.coverage = QLabel("")  # measured vs bridged share of the canal track
        self.coverage.setWordWrap(True)
        self.warning.setWordWrap(True)
        self.info.setMinimumWidth(40)  # a long text never widens the dock
        self._circle_items: list[QGraphicsEllipseItem] = []
        self._scene_xy: dict[int, tuple[float, float]] = {}
        self._build_layout()

    def _build_layout(self) -> None:
        self.levels_bar = QWidget()  # W, L and the preset: one block that moves as a whole
        bar = QHBoxLayout(self.levels_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("W"), self.width_box, QLabel("L"), self.level_box, self.preset):
            bar.addWidget(widget)
        self._top = QHBoxLayout()
        self._top.addWidget(self.info, 1)
        self._top.addWidget(self.levels_bar)
        self._wrapped_row = QHBoxLayout()  # W/L when the slice number would not fit beside it
        self._wrapped_row.addStretch(1)
        self.header_wrapped = False
        body = QHBoxLayout()
        body.addWidget(self.canvas, 1)
        body.addWidget(self.slider)
        layout = self._outer = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        canal = QHBoxLayout()  # this slice measured or bridged, and the whole track's share
        canal.addWidget(self.warning)
        canal.addWidget(self.coverage, 1)
        layout.addLayout(self._top)
        layout.addLayout(self._wrapped_row)
        layout.addLayout(canal)
        layout.addLayout(body, 1)

    def set_info(self, text: str) -> None:
        """The header's text (slice and z, or why there is no CT), never cut."""
        self.info.setText(text)
        self._reflow_header()

    def _reflow_header(self) -> None:
        """W/L move to a second row when the header's text would not fit beside them.

        A squeezed label cut "Axial 111/221" to "Axial 111/22" in a narrow dock (review
        panel open at 1280 px): a wrong number, worse than a taller header.
        """
        margins = self._outer.contentsMargins()
        room = self.width() - margins.left() - margins.right() - self._top.spacing()
        text = self.info.fontMetrics().horizontalAdvance(self.info.text())
        wrap = text + self.levels_bar.sizeHint().width() > room
        if wrap == self.header_wrapped:
            return
        self.header_wrapped = wrap
        (self._top if wrap else self._wrapped_row).removeWidget(self.levels_bar)
        (self._wrapped_row if wrap else self._top).addWidget(self.levels_bar)

    @qt_override
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._reflow_header()

    # -- data -------------------------------------------------------------
    def set_volume(self, volume: Volume | None) -> None:
        self.volume = volume
        self.circles = {}
        self.marker_lps = None
        self.marker.clear()
        if volume is None:
            self.canvas.clear()
            self.set_info("No volume")
            self._draw_circles()  # no stale canal circle over an empty view
            return
        nz = volume.shape[0]
        # +S is toward the head in LPS: which way the slice index runs depends on the file
        dz = volume.index_to_lps((1, 0, 0))[2] - volume.index_to_lps((0, 0, 0))[2]
        self.head_step = 1 if dz >= 0 else -1
        self.slider.blockSignals(True)
        self.slider.setInvertedAppearance(self.head_step < 0)  # head at the top, like the MIP
        self.slider.setInvertedControls(self.head_step < 0)  # and Up toward it
        self.slider.setRange(0, nz - 1)
        self.slider.blockSignals(False)
        self.index = -1
        self.set_slice(nz // 2, reset_view=True)

    def set_canal(self, circles: list[CanalCircle], spine_cluster: int) -> None:
        """Assign each circle to the nearest axial slice of the shown volume."""
        self.spine_cluster = spine_cluster
        self.circles = {}
        self._scene_xy = {}
        if self.volume is None:
            return
        nz = self.volume.shape[0]
        sx, sy, _ = self.volume.spacing
        for c in circles:
            k, j, i = self.volume.lps_to_index((c.x_mm, c.y_mm, c.z_mm))
            k = int(round(k))
            if 0 <= k < nz:
                self.circles.setdefault(k, []).append(c)
                self._scene_xy[id(c)] = (float(i * sx), float(j * sy))  # once, not per slice
        for k, found in self.circles.items():  # a measured circle beats a bridged centre
            if any(c.on_track and not c.bridged for c in found):
                self.circles[k] = [c for c in found if not c.bridged]
            elif sum(c.bridged for c in found) > 1:  # several grid slices: keep one
                bridged = [c for c in found if c.bridged]
                self.circles[k] = [c for c in found if not c.bridged] + bridged[
                    len(bridged) // 2 :
                ][:1]
        self._draw_circles()

    def set_coverage(self, text: str, low: bool) -> None:
        """The track's measured vs bridged share; in the warning colour when low."""
        self.coverage.setText(text)
        self.coverage.setStyleSheet(f"color: {NO_CIRCLE.name()}; font-weight: bold" if low else "")

    def step_toward_head(self, n: int = 1) -> None:
        """Move n slices toward the head (negative: toward the feet), as PgUp/PgDown do."""
        self.set_slice(self.index + n * self.head_step)

    def set_slice(self, k: int, *, reset_view: bool = False) -> None:
        if self.volume is None:
            return
        k = int(np.clip(k, 0, self.volume.shape[0] - 1))
        if k == self.index and not reset_view:
            return
        self.index = k
        sx, sy, _ = self.volume.spacing
        self.canvas.set_image(
            self.volume.array[k], levels=self._levels(), pixel_size=(sx, sy), reset_view=reset_view
        )
        self._draw_circles()
        self._draw_marker()
        if self.slider.value() != k:
            self.slider.blockSignals(True)
            self.slider.setValue(k)
            self.slider.blockSignals(False)
        z_mm = float(self.volume.index_to_lps((k, 0, 0))[2])
        self.set_info(f"Axial {k + 1}/{self.volume.shape[0]}  z = {z_mm:.1f} mm")
        if self._mouse is not None:  # the status bar follows the slice under a still cursor
            self._report_cursor(*self._mouse)
        self.slice_changed.emit(k)

    # -- window / level ------------------------------------------------------
    def _hu_box(self, tip: str, lo: float, hi: float, value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setDecimals(0)
        box.setSingleStep(10.0)
        box.setValue(value)
        box.setToolTip(f"{tip}: type a value, or right-drag on the image")
        box.setKeyboardTracking(False)  # apply on Enter / focus out, not on every digit
        box.valueChanged.connect(
            lambda _v: self.set_window(self.width_box.value(), self.level_box.value())
        )
        return box

    def _levels(self) -> tuple[float, float]:
        width, level = self.wl
        return (level - width / 2, level + width / 2)

    def set_window(self, width: float, level: float) -> None:
        self.wl = (float(width), float(level))
        self.canvas.set_levels(self._levels())
        for box, value in ((self.width_box, self.wl[0]), (self.level_box, self.wl[1])):
            if box.value() != value:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)
        name = next((n for n, wl in WINDOW_PRESETS.items() if wl == self.wl), "Custom")
        if self.preset.currentText() != name:
            self.preset.blockSignals(True)
            self.preset.setCurrentText(name)
            self.preset.blockSignals(False)

    def _apply_preset(self, name: str) -> None:
        if name in WINDOW_PRESETS:
            self.set_window(*WINDOW_PRESETS[name])

    # -- linked cursor ---------------------------------------------------------
    def scene_to_lps(self, x: float, y: float) -> np.ndarray | None:
        """LPS mm of a scene point on the current slice (None outside the image)."""
        vol = self.volume
        if vol is None:
            return None
        sx, sy, _ = vol.spacing
        i, j = x / sx, y / sy
        if not (0 <= i < vol.shape[2] and 0 <= j < vol.shape[1]):
            return None
        return np.asarray(vol.index_to_lps((self.index, j, i)), dtype=float)

    def set_marker(self, lps: Any | None) -> None:
        """Mark an LPS point; it shows on the slice that holds it."""
        self.marker_lps = None if lps is None else np.asarray(lps, dtype=float)
        self._draw_marker()

    def _draw_marker(self) -> None:
        vol, lps = self.volume, self.marker_lps
        if vol is None or lps is None:
            self.marker.clear()
            return
        k, j, i = vol.lps_to_index(tuple(lps))
        if int(round(k)) != self.index:
            self.marker.clear()
            return
        sx, sy, _ = vol.spacing
        self.marker.setData(x=[float(i * sx)], y=[float(j * sy)])

    def marker_xy(self) -> tuple[float, float] | None:
        """Scene position of the shown marker (tests, screenshots)."""
        xs, ys = self.marker.getData()
        return (float(xs[0]), float(ys[0])) if len(xs) else None

    # -- overlay --------------------------------------------------------------
    def _draw_circles(self) -> None:
        """Reuse a few ellipse items (adding items to a view box per slice costs a re-layout)."""
        found = self.circles.get(self.index, []) if self.volume is not None else []
        word = self._canal_word(found)
        self.warning.setText(word)
        measured = word == "canal measured"
        color = MEASURED if measured else BRIDGED
        self.warning.setStyleSheet(f"color: {color.name()}" + ("; font-weight: bold" * measured))
        while len(self._circle_items) < len(found):
            item = QGraphicsEllipseItem()
            item.setZValue(5)
            self.canvas.viewbox.addItem(item, ignoreBounds=True)
            self._circle_items.append(item)
        for item in self._circle_items[len(found) :]:
            item.hide()
        if self.volume is None:
            return
        for item, c in zip(self._circle_items, found, strict=False):
            cx, cy = self._scene_xy[id(c)]
            item.setRect(cx - c.r_mm, cy - c.r_mm, 2 * c.r_mm, 2 * c.r_mm)
            spine = c.on_track or c.cluster == self.spine_cluster
            pen = QPen(
                cluster_color(self.spine_cluster if spine else c.cluster, self.spine_cluster)
            )
            pen.setCosmetic(True)
            pen.setWidthF(3.0 if spine else 1.5)
            if c.bridged:  # dashed and dimmed: where the canal is, not where it was seen
                color = pen.color()
                color.setAlpha(170)
                pen.setColor(color)
                pen.setWidthF(2.0)
                pen.setStyle(Qt.PenStyle.DashLine)
            item.setPen(pen)
            item.show()

    def _canal_word(self, found: list[CanalCircle]) -> str:
        """Says whether this slice's canal was measured or bridged."""
        if not self.circles:
            return ""
        if any(c.on_track and not c.bridged for c in found):
            return "canal measured"
        if any(c.bridged for c in found):
            return "canal bridged (no circle found here)"
        return "no canal circle on this slice"

    def visible_circles(self) -> list[QGraphicsEllipseItem]:
        return [item for item in self._circle_items if item.isVisible()]

    # -- keys -------------------------------------------------------------------
    focus_keys_title = KEYS_TITLE

    def focus_keys(self, fmt: QKeySequence.SequenceFormat) -> list[tuple[str, str]]:
        """(what it does, key) of `SLICE_KEYS`, for the shortcuts sheet."""
        return [(words, QKeySequence(key).toString(fmt)) for key, (_n, words) in SLICE_KEYS.items()]

    def _slice_key(self, event: QKeyEvent) -> int:
        """Slices toward the head of a slice key on the image or slider, else 0."""
        modified = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        focus = QApplication.focusWidget()
        if modified or focus not in (self.canvas.view, self.slider):
            return 0  # the W/L boxes and the preset keep their own arrow keys
        return next((n for key, (n, _w) in SLICE_KEYS.items() if key == event.key()), 0)

    @qt_override
    def event(self, event: QEvent) -> bool:
        # PgUp / PgDown are also window shortcuts (one slice): on the image they page
        override = event.type() == QEvent.Type.ShortcutOverride
        if override and isinstance(event, QKeyEvent) and self._slice_key(event):
            event.accept()
            return True
        return super().event(event)

    @qt_override
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        # the image's keys arrive here: pyqtgraph's view hands keys to its scene, which
        # has no focus item and leaves them (the slider steps itself: `setPageStep`)
        n = self._slice_key(event)
        if not n:
            super().keyPressEvent(event)
            return
        self.step_toward_head(n)
        event.accept()

    # -- mouse ------------------------------------------------------------------
    def _wheel(self, ev: Any) -> bool:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False  # Ctrl+wheel zooms
        self.step_toward_head(1 if ev.delta() > 0 else -1)  # wheel up: toward the head
        return True

    def _report_cursor(self, x: float, y: float) -> None:
        vol = self.volume
        self._mouse = (x, y)
        if vol is None:
            return
        sx, sy, _ = vol.spacing
        i, j = int(np.floor(x / sx)), int(np.floor(y / sy))
        nz, ny, nx = vol.shape
        if not (0 <= i < nx and 0 <= j < ny):
            self.cursor_info.emit("")
            return
        lps = vol.index_to_lps((self.index, j, i))
        hu = int(vol.array[self.index, j, i])
        self.cursor_info.emit(f"Axial  L {lps[0]:.1f}  P {lps[1]:.1f}  S {lps[2]:.1f} mm   HU {hu}")


__all__ = ["SLICE_KEYS", "WINDOW_PRESETS", "AxialView", "CanalCircle"]
