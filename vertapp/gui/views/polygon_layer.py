"""One graphics item that paints every polygon of the current image.

Drawing all instances in one item (cached QPainterPaths, one per instance)
keeps a 17-polygon image cheap to repaint and a 1500-image project cheap to
browse: nothing is created per vertex. Only the selected instance shows vertex
handles, and those are painted too, not separate items.

Vertebra parts on a radiograph (a shape with a `level`) are grouped by vertebra: the
colour is the level's, the fill pattern the part's, one caption per vertebra (the rules
are `vertapp.xray.part_display`). CT polygons are coloured by their label, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from vertapp.annotations.label_anchor import label_anchor
from vertapp.gui.widgets.colors import DRAFT, label_color, level_color, part_brush_style
from vertapp.gui.widgets.qt_override import qt_override
from vertapp.xray.part_display import caption_keys

HANDLE_PX = 7.0  # vertex handle size on screen, whatever the zoom
# Names on a dark box (as on the axial view): readable on bright bone and on black alike.
NAME_BOX = QColor(0, 0, 0, 190)
NAME_PAD = (4.0, 1.0)  # screen pixels around the text (x, y)


@dataclass
class Shape:
    """What the layer needs to paint one instance."""

    polygons: list[np.ndarray]  # each (N, 2) x, y in scene coordinates
    label: str | None = None
    source: str = "manual"
    score: float | None = None
    level: str | None = None  # vertebra of a part ("unknown" if not set); None: no part
    # A prediction a reviewer accepted: outlined solid like a hand-drawn one (its name
    # keeps the score); only the undecided ones stay dashed, what is left to check.
    reviewed: bool = False
    path: QPainterPath = field(default_factory=QPainterPath)
    anchor: QPointF | None = None  # where the name goes: inside the outline (scene)

    @property
    def color(self) -> QColor:
        return label_color(self.label) if self.level is None else level_color(self.level)

    def rebuild(self, keep_anchor: bool = False) -> None:
        """The path from `polygons`; `keep_anchor`: the name stays put while still inside
        (a drag moves it only when the outline leaves it: no jumping label)."""
        path = QPainterPath()
        for poly in self.polygons:
            if len(poly) >= 2:
                path.addPolygon(polygon_f(poly))
                path.closeSubpath()
        self.path = path
        if keep_anchor and self.anchor is not None and path.contains(self.anchor):
            return
        xy = label_anchor(self.polygons)  # cached on the coordinates: cheap when unchanged
        self.anchor = None if xy is None else QPointF(*xy)


def _squares(points: np.ndarray, size: float) -> list[QRectF]:
    h = size / 2
    return [QRectF(float(x) - h, float(y) - h, size, size) for x, y in points]


def _name_box(centre: QPointF, text_width: float, text_height: float) -> QRectF:
    """The screen rectangle of a name centred on `centre`, with its padding."""
    width, height = text_width + 2 * NAME_PAD[0], text_height + 2 * NAME_PAD[1]
    return QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height)


def is_dashed(shape: Shape) -> bool:
    """A prediction still waiting for a decision: its outline is dashed. Once accepted it
    is drawn solid (after Accept all every outline stayed dashed, so the image did not
    show what was left to check)."""
    return shape.source == "predicted" and not shape.reviewed


def polygon_f(points: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in points])


class PolygonLayer(pg.GraphicsObject):
    """Paints shapes, the selected shape's handles and the polygon being drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: dict[int, Shape] = {}
        self.selected: int | None = None
        self.selected_vertex: tuple[int, int] | None = None  # (part, index)
        self.draft: list[tuple[float, float]] = []
        self.draft_cursor: tuple[float, float] | None = None
        self.opacity_fill = 0.35
        self.visible_labels = True
        self.captions: dict[int, str] = {}  # key -> text; parts: one per vertebra
        self._bounds = QRectF(0, 0, 1, 1)

    # -- data -------------------------------------------------------------
    def set_bounds(self, width: float, height: float) -> None:
        self.prepareGeometryChange()
        self._bounds = QRectF(0, 0, width, height)

    def set_shapes(self, shapes: dict[int, Shape]) -> None:
        for shape in shapes.values():
            shape.rebuild()
        self.shapes = shapes
        self._update_captions()
        if self.selected not in shapes:
            self.selected = None
            self.selected_vertex = None
        self.update()

    def update_shape(self, key: int, polygons: list[np.ndarray]) -> None:
        """Replace one instance's geometry (live drag preview) and repaint."""
        shape = self.shapes.get(key)
        if shape is None:
            return
        shape.polygons = polygons
        shape.rebuild(keep_anchor=True)
        self.update()

    def _update_captions(self) -> None:
        parts = [(k, s.label or "", s.level) for k, s in self.shapes.items()]
        grouped = caption_keys(parts)
        self.captions = {
            k: grouped[k] if s.level is not None else (s.label or "")
            for k, s in self.shapes.items()
            if s.level is None or k in grouped
        }

    def set_draft(
        self, points: list[tuple[float, float]], cursor: tuple[float, float] | None
    ) -> None:
        self.draft = points
        self.draft_cursor = cursor
        self.update()

    # -- painting ---------------------------------------------------------
    @qt_override
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt naming)
        return self._bounds

    @qt_override
    def paint(self, painter: QPainter, *args: object) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for key, shape in self.shapes.items():
            self._paint_shape(painter, shape, key == self.selected)
        if self.selected in self.shapes:
            self._paint_handles(painter, self.shapes[self.selected])
        if self.draft:
            self._paint_draft(painter)
        if self.visible_labels:
            self._paint_labels(painter)

    def _paint_shape(self, painter: QPainter, shape: Shape, selected: bool) -> None:
        color = shape.color
        fill = QColor(color)
        style = Qt.BrushStyle.SolidPattern if shape.level is None else part_brush_style(shape.label)
        hatched = style != Qt.BrushStyle.SolidPattern  # thin lines need more opacity to show
        fill.setAlphaF(min(1.0, self.opacity_fill + 0.45) if hatched else self.opacity_fill)
        pen = QPen(color.lighter(130) if selected else color)
        pen.setCosmetic(True)
        pen.setWidthF(2.5 if selected else 1.5)
        if is_dashed(shape):
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill, style))
        painter.drawPath(shape.path)

    def _paint_handles(self, painter: QPainter, shape: Shape) -> None:
        size = HANDLE_PX * self._pixel_size()
        pen = QPen(QColor(0, 0, 0))
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QColor(255, 255, 255))
        painter.drawRects(_squares(np.concatenate(shape.polygons), size))  # one call
        if self.selected_vertex is not None:
            part, i = self.selected_vertex
            if part < len(shape.polygons) and i < len(shape.polygons[part]):
                painter.setBrush(QColor(255, 60, 60))
                painter.drawRects(_squares(shape.polygons[part][i : i + 1], size))

    def _paint_draft(self, painter: QPainter) -> None:
        pen = QPen(DRAFT)
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pts = list(self.draft) + ([self.draft_cursor] if self.draft_cursor else [])
        painter.drawPolyline(polygon_f(np.asarray(pts, dtype=float)))
        painter.setBrush(DRAFT)
        painter.drawRects(
            _squares(np.asarray(self.draft, dtype=float), HANDLE_PX * self._pixel_size())
        )

    def _paint_labels(self, painter: QPainter) -> None:
        """Each name on a dark rounded box at a point inside its outline, in screen pixels
        so zoom keeps them legible; the box's edge has the polygon's colour."""
        painter.save()
        transform = painter.transform()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for key, caption in self.captions.items():
            shape = self.shapes.get(key)
            if shape is None or not caption or shape.path.isEmpty():
                continue
            text = caption if shape.score is None else f"{caption} {shape.score:.2f}"
            at = shape.anchor or shape.path.boundingRect().center()
            box = _name_box(transform.map(at), metrics.horizontalAdvance(text), metrics.height())
            painter.setPen(QPen(shape.color, 1.5))
            painter.setBrush(NAME_BOX)
            painter.drawRoundedRect(box, 3.0, 3.0)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _pixel_size(self) -> float:
        """Scene units per screen pixel (so handles keep their size while zooming)."""
        px = self.pixelLength(pg.Point(1, 0))
        return float(px) if px else 1.0
