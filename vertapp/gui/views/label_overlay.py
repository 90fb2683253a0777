"""The 3D vertebra labels of one axial slice, drawn over the axial CT (issue #15).

A translucent colour per vertebra (the colour its polygon has on the MIP) and its name
at the middle of its voxels on the slice. The labels come from the back-projection
(`vertapp.backproject`); this module only paints what it is given. While a new
back-projection is pending the slice is a footprint-only preview, drawn with a caption
that says so.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vertapp.gui.views.canvas import ImageCanvas
from vertapp.gui.widgets.colors import label_color
from vertapp.labels import ID_VERTEBRA

ALPHA = 110  # of 255: the bone stays readable under the colour
NAME_FILL = (0, 0, 0, 130)  # white names on a dark box: readable on any label colour


def label_lut(alpha: int = ALPHA) -> np.ndarray:
    """(256, 4) uint8 RGBA: 0 transparent, id 1..17 the colour of that vertebra's polygon."""
    lut = np.zeros((256, 4), np.uint8)
    for vid, name in ID_VERTEBRA.items():
        c = label_color(name)
        lut[vid] = (c.red(), c.green(), c.blue(), alpha)
    return lut


def label_centres(labels: np.ndarray) -> dict[int, tuple[float, float]]:
    """Mean (col, row) of each label's pixels on a slice (where its name is written)."""
    ids = labels.ravel()
    present = np.flatnonzero(np.bincount(ids, minlength=256)[1:]) + 1
    if not present.size:
        return {}
    rows, cols = np.nonzero(labels)
    vals = labels[rows, cols]
    n = np.bincount(vals, minlength=256).astype(float)
    mr = np.bincount(vals, weights=rows, minlength=256)
    mc = np.bincount(vals, weights=cols, minlength=256)
    return {int(v): (mc[v] / n[v], mr[v] / n[v]) for v in present if int(v) in ID_VERTEBRA}


class LabelOverlay:
    """Items on an axial canvas: one RGBA label image, a pool of name texts, a caption."""

    def __init__(self, canvas: ImageCanvas) -> None:
        self.canvas = canvas
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(3)  # above the CT, below the canal circles and the cursor
        self.image.setLookupTable(label_lut())
        canvas.viewbox.addItem(self.image, ignoreBounds=True)
        self._names: list[pg.TextItem] = []
        self.caption = pg.TextItem("", color=(255, 255, 255), anchor=(0, 0))
        self.caption.setZValue(13)
        canvas.viewbox.addItem(self.caption, ignoreBounds=True)
        self.labels: np.ndarray | None = None  # the slice on screen (y, x), ids 1..17
        self.pixel_size = (1.0, 1.0)
        self.visible = True

    def show_slice(
        self, labels: np.ndarray | None, pixel_size: tuple[float, float], caption: str = ""
    ) -> None:
        """Paint `labels` (uint8 (y, x) of the shown slice) or clear with None."""
        self.labels = labels
        self.pixel_size = pixel_size
        if labels is None or not self.visible:
            self.image.clear()
            self._place_names({})
            self.caption.setText(caption if self.visible else "")
            return
        self.image.setImage(labels, levels=(0, 255), autoLevels=False)
        h, w = labels.shape
        self.image.setRect(0.0, 0.0, w * pixel_size[0], h * pixel_size[1])
        self._place_names(label_centres(labels))
        self.caption.setText(caption)
        self.caption.setPos(0.0, 0.0)

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        self.show_slice(self.labels, self.pixel_size)

    def _place_names(self, centres: dict[int, tuple[float, float]]) -> None:
        """Reuse a few text items (adding items to a view box per slice costs a re-layout)."""
        while len(self._names) < len(centres):
            item = pg.TextItem("", color=(255, 255, 255), anchor=(0.5, 0.5), fill=NAME_FILL)
            item.setZValue(11)
            self.canvas.viewbox.addItem(item, ignoreBounds=True)
            self._names.append(item)
        sx, sy = self.pixel_size
        for item, (vid, (col, row)) in zip(self._names, sorted(centres.items()), strict=False):
            name = ID_VERTEBRA[vid]
            item.setText(name)
            item.setPos((col + 0.5) * sx, (row + 0.5) * sy)
            item.show()
        for item in self._names[len(centres) :]:
            item.hide()

    def shown_names(self) -> list[str]:
        """Names written on the slice now (tests, screenshots)."""
        return [item.toPlainText() for item in self._names if item.isVisible()]

    def label_at(self, x: float, y: float) -> int:
        """The label id painted at scene point (x, y) of the slice (0: none)."""
        if self.labels is None or not self.visible:
            return 0
        col, row = int(np.floor(x / self.pixel_size[0])), int(np.floor(y / self.pixel_size[1]))
        h, w = self.labels.shape
        return int(self.labels[row, col]) if 0 <= row < h and 0 <= col < w else 0
