"""Low, high and fused (or check) images of a pair, side by side or one of them large, with
the blend / checkerboard slider; all three views pan and zoom together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vertapp.xray.pair_display import Box, grey_range, mix, mix_region, to_u8

LAYOUTS = ("Side by side", "Low-dose large", "High-dose large", "Fused large")
CAPTION_GAP_PX = 3.0  # image pixels between a vertebra's box and its level
CAPTION_ROOM = 0.14  # of the film's width, right of it when fitted: a level's text
Point = tuple[float, float]
RGB = tuple[int, int, int]
Look = tuple[Point, RGB, int]  # a caption's place, colour and rank (higher: drawn on top)
CAPTION_Z = 10.0  # over the image and the frame
CHECKS = ("Blend", "Checkerboard")


class DragViewBox(pg.ViewBox):
    """Ctrl + left drag goes to `on_drag(dx, dy)` (image pixels) instead of panning."""

    def __init__(self) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.on_drag: Callable[[float, float], None] | None = None

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802 (Qt naming)
        ctrl = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if self.on_drag is None or not ctrl or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        now = self.mapSceneToView(ev.scenePos())
        before = self.mapSceneToView(ev.lastScenePos())
        self.on_drag(now.x() - before.x(), now.y() - before.y())


class ImagePane(pg.GraphicsView):
    """One image in a view box (rows down), a title, and a frame around the chosen ZOI."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.box = DragViewBox()
        self.setCentralItem(self.box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.frame = pg.PlotCurveItem(pen=pg.mkPen((255, 220, 0), width=2))
        self.box.addItem(self.frame)
        self.title = title
        self.setToolTip(title)
        # level -> its caption, and what it shows (place, colour): a nudge moves one
        self.captions: dict[str, pg.TextItem] = {}
        self._shown: dict[str, Look] = {}

    def show_image(self, pixels: np.ndarray) -> None:
        self.image.setImage(pixels, levels=(0, 255), autoLevels=False)

    def update_image(self, pixels: np.ndarray) -> None:
        """Same array changed in place: redraw without a new range."""
        self.image.updateImage(pixels, levels=(0, 255))

    def show_frame(self, corners: np.ndarray | None) -> None:
        """A closed outline through `corners` ((N, 2) col, row in image pixels): a box
        mapped by a similarity is turned, so it is drawn as its corners, not as a rect."""
        if corners is None:
            self.frame.setData([], [])
            return
        closed = np.vstack([corners, corners[:1]])
        self.frame.setData(closed[:, 0], closed[:, 1])

    def show_captions(self, places: dict[str, Look]) -> None:
        """Each level written at its place (image pixels: the left middle of the text) in
        its colour, at a fixed screen size, the higher ranks on top; only changed ones are
        redrawn (a nudge moves one vertebra, and a new text image per caption cost more
        than the nudge)."""
        for level in set(self.captions) - set(places):
            self.box.removeItem(self.captions.pop(level))
            self._shown.pop(level, None)
        for level, (at, rgb, rank) in places.items():
            if self._shown.get(level) == (at, rgb, rank):
                continue
            item = self.captions.get(level)
            if item is None:
                item = self.captions[level] = pg.TextItem(
                    level, anchor=(0, 0.5), fill=pg.mkBrush(0, 0, 0, 170)
                )
                self.box.addItem(item)
            if level not in self._shown or self._shown[level][1] != rgb:
                item.setColor(pg.mkColor(rgb))
            item.setZValue(CAPTION_Z + rank)
            item.setPos(at[0] + CAPTION_GAP_PX, at[1])
            self._shown[level] = (at, rgb, rank)


class PairImages(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low_pane = ImagePane("Low-dose")
        self.high_pane = ImagePane("High-dose")
        self.fused_pane = ImagePane("Fused / check")
        self.panes = (self.low_pane, self.high_pane, self.fused_pane)
        for pane in self.panes[1:]:
            pane.box.setXLink(self.low_pane.box)
            pane.box.setYLink(self.low_pane.box)
        self.layout_box = QComboBox()
        self.layout_box.addItems(LAYOUTS)
        self.layout_box.currentIndexChanged.connect(self._apply_layout)
        self.check_box = QComboBox()
        self.check_box.addItems(CHECKS)
        self.check_box.setToolTip("How the fused view shows the alignment against the low dose")
        self.check_box.currentIndexChanged.connect(lambda _i: self.redraw_check())
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setMinimumWidth(120)  # a narrow window squeezes the table, not the slider
        self.slider.setValue(100)
        self.slider.setToolTip(
            "Blend: 0 = low-dose only, 100 = fused only; drag to see whether edges stay put"
        )
        self.slider.valueChanged.connect(lambda _v: self.redraw_check())
        self.low8 = self.high8 = self.fused8 = self.check8 = np.zeros((1, 1), np.uint8)
        self.grey_low: tuple[float, float] = (0.0, 1.0)
        self.tile = 0
        self._build()

    def _build(self) -> None:
        controls = QHBoxLayout()
        for text, widget in (("View", self.layout_box), ("Check", self.check_box)):
            controls.addWidget(QLabel(text))
            controls.addWidget(widget)
        controls.addWidget(QLabel("Low"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(QLabel("Fused"))
        titles = QHBoxLayout()
        views = QHBoxLayout()
        self.titles = [QLabel(p.title) for p in self.panes]
        for label, pane in zip(self.titles, self.panes, strict=True):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            titles.addWidget(label)
            views.addWidget(pane)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(titles)
        layout.addLayout(views, 1)

    def set_images(self, low: np.ndarray, high: np.ndarray, fused: np.ndarray, tile: int) -> None:
        """Both inputs on their own grey range; the fused image on the low-dose one."""
        self.grey_low = grey_range(low)
        self.tile = max(4, tile)
        self.low8 = to_u8(low, self.grey_low)
        self.high8 = to_u8(high, grey_range(high))
        self.fused8 = to_u8(fused, self.grey_low)
        self.low_pane.show_image(self.low8)
        self.high_pane.show_image(self.high8)
        self.check8 = np.empty_like(self.low8)
        self.redraw_check()
        self.fit()

    def _check_tile(self) -> int:
        return self.tile if self.check_box.currentIndex() == 1 else 0

    def redraw_check(self) -> None:
        """The fused view after the slider or the check mode changed."""
        self.check8 = mix(self.low8, self.fused8, self.slider.value() / 100.0, self._check_tile())
        self.fused_pane.show_image(self.check8)

    def update_fused(self, fused: np.ndarray, box: Box) -> None:
        """The fused image changed inside `box` (a nudge): convert and redraw that part."""
        x0, y0, x1, y1 = box
        self.fused8[y0:y1, x0:x1] = to_u8(fused[y0:y1, x0:x1], self.grey_low)
        weight = self.slider.value() / 100.0
        mix_region(self.check8, self.low8, self.fused8, weight, self._check_tile(), box)
        self.fused_pane.update_image(self.check8)

    def fit(self) -> None:
        """The whole film, and room on its right for the levels written beside the
        vertebrae (on a film whose spine reaches its edge they were cut to "T1")."""
        h, w = self.low8.shape
        self.low_pane.box.setRange(QRectF(0, 0, w * (1 + CAPTION_ROOM), h), padding=0.02)

    def zoom_to(self, high: np.ndarray, low: np.ndarray) -> None:
        """Show the vertebra (grown to context) in all views and frame it: `high` its ZOI's
        corners on the high dose, `low` where they land on the low dose (`show_frames`)."""
        both = np.vstack([high, low])  # the views are linked: one range shows both
        (x0, y0), (x1, y1) = both.min(axis=0), both.max(axis=0)
        grow = 0.3 * max(x1 - x0, y1 - y0)  # some context: the neighbours show
        self.low_pane.box.setRange(
            QRectF(x0 - grow, y0 - grow, x1 - x0 + 2 * grow, y1 - y0 + 2 * grow), padding=0
        )
        self.show_frames(high, low)

    def show_captions(self, high: dict[str, Look], low: dict[str, Look]) -> None:
        """Every vertebra's level: `high` places on the high dose, `low` where they land
        on the low dose (the low-dose and fused views)."""
        self.high_pane.show_captions(high)
        self.low_pane.show_captions(low)
        self.fused_pane.show_captions(low)

    def show_frames(self, high: np.ndarray | None, low: np.ndarray | None) -> None:
        """The same vertebra framed in all three views: on the high dose where its ZOI is, on
        the low-dose and fused views (both low-dose pixels) where that ZOI lands."""
        self.high_pane.show_frame(high)
        self.low_pane.show_frame(low)
        self.fused_pane.show_frame(low)

    def _apply_layout(self, index: int) -> None:
        for i, (pane, label) in enumerate(zip(self.panes, self.titles, strict=True)):
            visible = index == 0 or i == index - 1
            pane.setVisible(visible)
            label.setVisible(visible)
