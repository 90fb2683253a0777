"""A pyqtgraph image canvas whose mouse gestures can be taken over by a tool.

`CanvasViewBox` keeps pyqtgraph's zoom (wheel) and pan (left drag on empty
space) but first offers every click and drag to its `tool` (drawing, editing,
window/level). A tool returns True when it consumed the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from vertapp.gui.widgets.qt_override import qt_override


class CanvasTool(Protocol):
    def click(self, ev: Any, pos: QPointF) -> bool: ...
    def drag(self, ev: Any, pos: QPointF) -> bool: ...


class CanvasViewBox(pg.ViewBox):
    """ViewBox that lets a tool take clicks and drags before the default pan/zoom."""

    def __init__(self) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.tools: list[CanvasTool] = []
        self.wheel_handler: Callable[[Any], bool] | None = None

    @qt_override
    def wheelEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802
        if self.wheel_handler is not None and self.wheel_handler(ev):
            ev.accept()
            return
        super().wheelEvent(ev, axis)

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 (Qt naming)
        pos = self.mapSceneToView(ev.scenePos())
        for tool in self.tools:
            if tool.click(ev, pos):
                ev.accept()
                return
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()  # no pyqtgraph menu: tools own the context menu
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802
        pos = self.mapSceneToView(ev.scenePos())
        for tool in self.tools:
            if tool.drag(ev, pos):
                ev.accept()
                return
        super().mouseDragEvent(ev, axis)


class ImageCanvas(QWidget):
    """A GraphicsView holding one CanvasViewBox and one ImageItem.

    Scene coordinates are image pixels (x = column, y = row) unless `set_image`
    is given a pixel size, in which case they are millimetres from pixel (0, 0).
    `mouse_moved(x, y)` reports the cursor in those coordinates.
    """

    mouse_moved = Signal(float, float)
    zoom_changed = Signal(float)  # screen pixels per scene unit (1.0 = 100 %)
    zoom_text = Signal(str)  # the status bar's words: "Zoom 250 %", "" with no image

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsView(self)
        self.view.setBackground("k")
        self.viewbox = CanvasViewBox()
        self.view.setCentralItem(self.viewbox)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.image_item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.viewbox.sigRangeChanged.connect(self._on_range_changed)
        self._shape: tuple[int, int] | None = None

    def set_image(
        self,
        image: np.ndarray,
        levels: tuple[float, float] | None = None,
        pixel_size: tuple[float, float] = (1.0, 1.0),
        *,
        reset_view: bool = False,
    ) -> None:
        """Show `image` (rows, cols); `pixel_size` is (x, y) scene units per pixel."""
        shape = (int(image.shape[0]), int(image.shape[1]))
        self.image_item.setImage(image, levels=levels, autoLevels=levels is None)
        if shape != self._shape or reset_view:
            w, h = shape[1] * pixel_size[0], shape[0] * pixel_size[1]
            self.image_item.setRect(0.0, 0.0, w, h)
            self._shape = shape
            self.fit()

    def clear(self) -> None:
        """No image: the view shows nothing and no zoom is reported."""
        self.image_item.clear()
        self._shape = None
        self.zoom_text.emit("")

    def _on_range_changed(self, *_args: object) -> None:
        # An empty view box still has a range (pyqtgraph's default, ~1e-3 wide): its
        # "zoom" read 40551 % in an empty window. Only an image has a zoom worth saying.
        if self._shape is None:
            return
        zoom = self.zoom()
        self.zoom_changed.emit(zoom)
        self.zoom_text.emit(f"Zoom {100 * zoom:.0f} %")

    def fit(self) -> None:
        """Fit the image to the view (only the image: overlays may still hold the last one's size)."""
        self.viewbox.autoRange(padding=0.02, items=[self.image_item])

    def zoom(self) -> float:
        """Screen pixels per scene unit (an image pixel, or a mm with a pixel size)."""
        (x0, x1), _ = self.viewbox.viewRange()
        width = self.viewbox.width()
        return float(width / (x1 - x0)) if x1 > x0 and width > 0 else 1.0

    def set_levels(self, levels: tuple[float, float]) -> None:
        self.image_item.setLevels(levels)

    def map_to_widget(self, x: float, y: float) -> QPointF:
        """Scene coordinates -> viewport pixel position (what a mouse event carries)."""
        scene_pt = self.viewbox.mapViewToScene(QPointF(x, y))
        return QPointF(self.view.mapFromScene(scene_pt))

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self._shape is None:
            return
        p = self.viewbox.mapSceneToView(scene_pos)
        self.mouse_moved.emit(p.x(), p.y())
