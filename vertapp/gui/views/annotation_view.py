"""The 2D image being annotated (a sagittal MIP or a radiograph) with its polygons.

For a MIP it also draws the current axial slice as a horizontal line and marks
rows whose axial slice has no canal circle. A radiograph is shown on its own pixel
values with window/level (`radiograph_levels.py`), fitted to the view on open.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from vertapp.gui.views.canvas import ImageCanvas
from vertapp.gui.views.polygon_layer import PolygonLayer, Shape
from vertapp.gui.views.polygon_tool import PolygonTool
from vertapp.gui.views.radiograph_levels import RadiographLevels
from vertapp.gui.widgets.colors import NO_CIRCLE, SLICE_LINE

EMPTY_HINT = "No image: open a CT, DICOM folder, radiograph or project (File menu)"


class AnnotationView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(EMPTY_HINT)
        self.title.setMinimumWidth(40)  # a long hint or name must not set the window's width
        self.title.setToolTip("Red marks at the left edge: slices where no canal circle was found")
        self.canvas = ImageCanvas(self)
        self.layer = PolygonLayer()
        self.layer.setZValue(10)
        self.canvas.viewbox.addItem(self.layer)
        self.tool = PolygonTool(self.canvas, self.layer)
        self.slice_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(SLICE_LINE, width=1))
        self.slice_line.setZValue(5)
        self.slice_line.hide()
        self.canvas.viewbox.addItem(self.slice_line, ignoreBounds=True)
        mark = QColor(NO_CIRCLE)
        mark.setAlpha(170)
        self.no_circle_marks = pg.ScatterPlotItem(
            size=4, symbol="s", pen=None, brush=pg.mkBrush(mark)
        )
        self.no_circle_marks.setZValue(6)
        self.canvas.viewbox.addItem(self.no_circle_marks)
        # the linked cursor: where a click on the axial view lies on this image
        self.marker = pg.ScatterPlotItem(
            size=16, symbol="+", pen=pg.mkPen(SLICE_LINE, width=2), brush=None
        )
        self.marker.setZValue(12)
        self.canvas.viewbox.addItem(self.marker, ignoreBounds=True)
        # Marks only show: a scatter item takes the clicks on its points, so the + left by
        # one click swallowed the next click on that spot (a vertex clicked again was not
        # selected), and a red mark a click at the image's left edge.
        for marks in (self.marker, self.no_circle_marks):
            marks.setEnabled(False)
        self.image_shape: tuple[int, int] | None = None
        self.levels = RadiographLevels(self.canvas)  # W/L of a radiograph
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.levels)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)

    def set_image(
        self, image: np.ndarray | None, title: str = "", *, radiograph: bool = False
    ) -> None:
        """Show a new image (uint8 or float); polygons are set separately.

        A `radiograph` is its raw pixel values (8 or 16 bit, float): shown through the
        W/L bar, at its automatic preset. Otherwise uint8 is shown as 0..255."""
        if radiograph and image is not None:
            image = self.levels.show_image(image)  # its window's 8-bit picture
        else:
            self.levels.show_image(None)
        self.tool.cancel_draft()
        self.tool.select(None)
        self.slice_line.hide()
        self.no_circle_marks.clear()
        self.marker.clear()
        if image is None:
            self.canvas.clear()
            self.image_shape = None
            self.layer.set_shapes({})
            self.title.setText(EMPTY_HINT)
            return
        h, w = int(image.shape[0]), int(image.shape[1])
        levels = (0.0, 255.0) if image.dtype == np.uint8 else None
        self.canvas.set_image(image, levels=levels, reset_view=True)
        self.layer.set_bounds(w, h)
        self.image_shape = (h, w)
        self.title.setText(title)

    def set_shapes(self, shapes: dict[int, Shape]) -> None:
        self.layer.set_shapes(shapes)

    def set_slice_row(self, row: float | None) -> None:
        if row is None:
            self.slice_line.hide()
            return
        self.slice_line.setValue(row)
        self.slice_line.show()

    def set_marker(self, xy: tuple[float, float] | None) -> None:
        """The linked cursor's point (scene x, y), or none."""
        if xy is None:
            self.marker.clear()
        else:
            self.marker.setData(x=[xy[0]], y=[xy[1]])

    def set_missing_rows(self, rows: np.ndarray) -> None:
        """Mark rows (at the left edge) whose axial slice has no canal circle."""
        rows = np.asarray(rows, dtype=float)
        self.no_circle_marks.setData(x=np.full(len(rows), 1.5), y=rows + 0.5)

    def set_opacity(self, value: float) -> None:
        self.layer.opacity_fill = value
        self.layer.update()

    def set_polygons_visible(self, visible: bool) -> None:
        self.layer.setVisible(visible)
