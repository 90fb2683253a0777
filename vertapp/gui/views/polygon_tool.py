"""Mouse gestures for drawing and editing polygons on an ImageCanvas.

The tool changes nothing itself: it previews on the `PolygonLayer` and emits
one *intent* signal when a gesture ends (one drag = one signal = one undo
step). The window turns intents into annotation operations.

While `locked` says why edits are refused (a read-only project), a gesture that
would edit starts nothing: no preview follows the mouse, and `refused` carries the
reason once per gesture (the window shows it in the status bar, no box); selecting
and panning stay.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, Signal

from vertapp.gui.views.canvas import ImageCanvas
from vertapp.gui.views.polygon_layer import HANDLE_PX, PolygonLayer

LEFT = Qt.MouseButton.LeftButton
RIGHT = Qt.MouseButton.RightButton
TOO_FEW_POINTS = "An outline needs at least 3 points: click one more"


class Mode(Enum):
    SELECT = "select"
    DRAW = "draw"
    BRUSH = "brush"
    ERASER = "eraser"


class PolygonTool(QObject):
    polygon_drawn = Signal(object)  # np.ndarray (N, 2)
    vertex_moved = Signal(int, int, int, object)  # key, part, index, new (x, y)
    vertex_inserted = Signal(int, int, int, object)  # key, part, index of new vertex, (x, y)
    vertex_deleted = Signal(int, int, int)  # key, part, index
    polygon_moved = Signal(int, float, float)  # key, dx, dy
    brush_stroke = Signal(object, float, bool)  # points (N, 2), radius, erase
    selection_changed = Signal(object)  # key or None
    clicked = Signal(float, float)  # a plain left click (navigation)
    context_menu = Signal(object)  # global QPoint
    mode_changed = Signal(str)
    # an editing gesture refused (while `locked`, once per gesture; a double-click that
    # cannot close the draft): why, for the status bar
    refused = Signal(str)

    def __init__(self, canvas: ImageCanvas, layer: PolygonLayer) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.layer = layer
        self.mode = Mode.SELECT
        self.brush_radius = 4.0
        self.draft: list[tuple[float, float]] = []
        self.cursor: tuple[float, float] | None = None
        self._drag: dict[str, Any] | None = None
        self.locked = ""  # why edits are refused now ("" while they are allowed)
        canvas.viewbox.tools.append(self)
        canvas.mouse_moved.connect(self.hover)

    # -- mode and selection ------------------------------------------------
    def set_mode(self, mode: Mode) -> None:
        if mode is not Mode.DRAW:
            self.cancel_draft()
        self.mode = mode
        self.mode_changed.emit(mode.value)

    def select(self, key: int | None, vertex: tuple[int, int] | None = None) -> None:
        changed = key != self.layer.selected
        self.layer.selected = key
        self.layer.selected_vertex = vertex if key is not None else None
        self.layer.update()
        if changed:
            self.selection_changed.emit(key)

    # -- geometry helpers ---------------------------------------------------
    def _tolerance(self) -> float:
        return HANDLE_PX * self.layer._pixel_size()

    def hit_vertex(self, x: float, y: float) -> tuple[int, int] | None:
        shape = (
            self.layer.shapes.get(self.layer.selected) if self.layer.selected is not None else None
        )
        if shape is None:
            return None
        tol = self._tolerance()
        best: tuple[float, tuple[int, int]] | None = None
        for part, poly in enumerate(shape.polygons):
            if len(poly) == 0:
                continue
            d = np.hypot(poly[:, 0] - x, poly[:, 1] - y)
            i = int(np.argmin(d))
            if d[i] <= tol and (best is None or d[i] < best[0]):
                best = (float(d[i]), (part, i))
        return None if best is None else best[1]

    def hit_edge(
        self, x: float, y: float, key: int | None = None
    ) -> tuple[int, int, tuple[float, float]] | None:
        """(part, index of the new vertex, projected point) of the nearest edge within reach."""
        key = self.layer.selected if key is None else key
        best = self._nearest_edge(key, x, y)
        if best is None or best[0] > 2 * self._tolerance():
            return None
        return best[1], best[2], best[3]

    def _nearest_edge(
        self, key: int | None, x: float, y: float
    ) -> tuple[float, int, int, tuple[float, float]] | None:
        """(distance, part, index of a vertex inserted there, projected point) of the edge
        of outline `key` nearest (x, y), at any distance; None without such an outline."""
        shape = self.layer.shapes.get(key) if key is not None else None
        if shape is None:
            return None
        best: tuple[float, int, int, tuple[float, float]] | None = None
        for part, poly in enumerate(shape.polygons):
            if len(poly) == 0:
                continue
            a, b = poly, np.roll(poly, -1, axis=0)
            ab = b - a
            denom = np.maximum((ab**2).sum(axis=1), 1e-12)
            t = np.clip(((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / denom, 0, 1)
            proj = a + ab * t[:, None]
            d = np.hypot(proj[:, 0] - x, proj[:, 1] - y)
            i = int(np.argmin(d))
            if best is None or d[i] < best[0]:
                best = (float(d[i]), part, i + 1, (float(proj[i, 0]), float(proj[i, 1])))
        return best

    def outline_at(self, x: float, y: float) -> int | None:
        """The outline a right-click acts on (its menu's Delete, Label, ...): the one whose
        line is under the cursor (the nearest line within a handle's reach; the selected
        one on a shared border), else the one the point is inside (`hit_shape`), else the
        selected one when its line is within the reach of Insert vertex; None on empty
        space. (The old rule looked at the selected outline's edges alone: a right-click
        on the black background, or on a neighbour's line, kept the old selection, and the
        menu deleted or relabelled that one.)"""
        selected = self.layer.selected
        lines = []
        for key in self.layer.shapes:
            edge = self._nearest_edge(key, x, y)
            if edge is not None:
                lines.append((edge[0], key != selected, key))  # a tie goes to the selected
        on_line = min(lines, default=None)
        if on_line is not None and on_line[0] <= self._tolerance():
            return on_line[2]
        inside = self.hit_shape(x, y)
        if inside is not None:
            return inside
        if selected is not None and self.hit_edge(x, y, selected) is not None:
            return selected
        return None

    def hit_shape(self, x: float, y: float) -> int | None:
        """The instance under (x, y); the selected one wins, then the smallest."""
        pt = QPointF(x, y)
        hits = [k for k, s in self.layer.shapes.items() if s.path.contains(pt)]
        if not hits:
            return None
        if self.layer.selected in hits:
            return self.layer.selected
        return min(hits, key=lambda k: self._area(k))

    def _area(self, key: int) -> float:
        r = self.layer.shapes[key].path.boundingRect()
        return float(r.width() * r.height())

    # -- events from the view box ------------------------------------------
    def hover(self, x: float, y: float) -> None:
        self.cursor = (x, y)
        if self.mode is Mode.DRAW and self.draft:
            self.layer.set_draft(self.draft, self.cursor)

    def click(self, ev: Any, pos: QPointF) -> bool:
        x, y = pos.x(), pos.y()
        self.cursor = (x, y)
        if ev.button() == RIGHT:
            self._right_click_select(x, y)
            self.context_menu.emit(ev.screenPos().toPoint())
            return True
        if ev.button() != LEFT:
            return False
        if self.mode is Mode.DRAW:
            if self.locked:
                self.refused.emit(self.locked)
            else:
                self._draw_click(x, y, bool(ev.double()))
            return True
        if self.mode is Mode.SELECT:
            if ev.double():
                self.insert_vertex_at(x, y)
                return True
            vertex = self.hit_vertex(x, y)
            if vertex is not None:
                self.select(self.layer.selected, vertex)
            elif self.hit_edge(x, y) is None:  # on an edge: keep it (a double-click inserts)
                self.select(self.hit_shape(x, y))
            self.clicked.emit(x, y)
            return True
        return False

    def _right_click_select(self, x: float, y: float) -> None:
        """The menu acts on what is under the cursor (as in CVAT, labelme, Slicer): a
        handle of the selected outline selects that vertex; an outline (on its line or
        inside) is selected; empty space selects nothing. While drawing, the menu
        finishes or cancels the draft, and the selection stays."""
        if self.mode is Mode.DRAW:
            return
        key, vertex = self.outline_at(x, y), self.hit_vertex(x, y)
        # a handle within reach counts unless another outline's line is nearer (adjacent
        # vertebrae: a right-click on T6's line used to take T5's handle beside it)
        self.select(key, vertex if key == self.layer.selected else None)

    def drag(self, ev: Any, pos: QPointF) -> bool:
        if ev.button() != LEFT:
            return False
        x, y = pos.x(), pos.y()
        if ev.isStart():
            start = self.canvas.viewbox.mapSceneToView(ev.buttonDownScenePos())
            self._drag = self._begin_drag(start.x(), start.y())
            if self._drag is None:
                return False
            if self.locked:  # nothing moves: said once, with a "no" cursor while held
                self._drag = {"kind": "refused"}
                self.canvas.view.viewport().setCursor(Qt.CursorShape.ForbiddenCursor)
                self.refused.emit(self.locked)
        if self._drag is None:
            return False
        if self._drag["kind"] == "refused":
            if ev.isFinish():
                self.canvas.view.viewport().unsetCursor()
                self._drag = None
            return True
        self._continue_drag(x, y)
        if ev.isFinish():
            self._finish_drag()
            self._drag = None
        return True

    # -- drawing ------------------------------------------------------------
    def _draw_click(self, x: float, y: float, double: bool) -> None:
        if double:
            if self.draft and not self.finish_draft():  # it stayed: said, not silent
                self.refused.emit(TOO_FEW_POINTS)
            return
        if len(self.draft) >= 3:
            fx, fy = self.draft[0]
            if np.hypot(fx - x, fy - y) <= self._tolerance():
                self.finish_draft()
                return
        if self.draft and np.hypot(self.draft[-1][0] - x, self.draft[-1][1] - y) < 1e-6:
            return
        self.draft.append((x, y))
        self.layer.set_draft(self.draft, self.cursor)

    def finish_draft(self) -> bool:
        """Close the polygon being drawn (Enter, double-click, click on the first vertex)."""
        if len(self.draft) < 3:
            return False
        points = np.asarray(self.draft, dtype=float)
        self.cancel_draft()
        self.polygon_drawn.emit(points)
        return True

    def cancel_draft(self) -> None:
        self.draft = []
        self.layer.set_draft([], None)

    # -- drags ----------------------------------------------------------------
    def _begin_drag(self, x: float, y: float) -> dict[str, Any] | None:
        if self.mode in (Mode.BRUSH, Mode.ERASER):
            return {"kind": "brush", "points": [(x, y)]}
        if self.mode is not Mode.SELECT:
            return None
        vertex = self.hit_vertex(x, y)
        if vertex is not None:
            key = self.layer.selected
            assert key is not None
            self.select(key, vertex)
            polys = [p.copy() for p in self.layer.shapes[key].polygons]
            return {"kind": "vertex", "key": key, "vertex": vertex, "polys": polys}
        key = self.hit_shape(x, y)
        if key is None:
            return None
        self.select(key)
        polys = [p.copy() for p in self.layer.shapes[key].polygons]
        return {"kind": "move", "key": key, "start": (x, y), "polys": polys, "delta": (0.0, 0.0)}

    def _continue_drag(self, x: float, y: float) -> None:
        d = self._drag
        assert d is not None
        if d["kind"] == "vertex":
            part, i = d["vertex"]
            polys = [p.copy() for p in d["polys"]]
            polys[part][i] = (x, y)
            d["new"] = (x, y)
            self.layer.update_shape(d["key"], polys)
        elif d["kind"] == "move":
            dx, dy = x - d["start"][0], y - d["start"][1]
            d["delta"] = (dx, dy)
            self.layer.update_shape(d["key"], [p + (dx, dy) for p in d["polys"]])
        else:
            d["points"].append((x, y))
            self.layer.set_draft(d["points"], None)

    def _finish_drag(self) -> None:
        d = self._drag
        assert d is not None
        if d["kind"] == "vertex" and "new" in d:
            part, i = d["vertex"]
            self.vertex_moved.emit(d["key"], part, i, d["new"])
        elif d["kind"] == "move" and d["delta"] != (0.0, 0.0):
            self.polygon_moved.emit(d["key"], *d["delta"])
        elif d["kind"] == "brush":
            self.layer.set_draft([], None)
            points = np.asarray(d["points"], dtype=float)
            self.brush_stroke.emit(points, self.brush_radius, self.mode is Mode.ERASER)

    # -- edits reachable from buttons, menus and keys ------------------------
    def insert_vertex_at(self, x: float | None = None, y: float | None = None) -> bool:
        """Insert a vertex on the selected polygon's edge nearest (x, y) (default: cursor).

        With no point near an edge, split the edge after the selected vertex.
        """
        key = self.layer.selected
        if key is None:
            return False
        if self.locked:
            self.refused.emit(self.locked)
            return False
        if x is None or y is None:
            x, y = self.cursor if self.cursor else (np.nan, np.nan)
        hit = self.hit_edge(x, y) if np.isfinite(x) else None
        if hit is None:
            hit = self._midpoint_after_selected_vertex()
        if hit is None:
            return False
        part, index, point = hit
        self.vertex_inserted.emit(key, part, index, point)
        return True

    def _midpoint_after_selected_vertex(self) -> tuple[int, int, tuple[float, float]] | None:
        key, vertex = self.layer.selected, self.layer.selected_vertex
        if key is None or vertex is None:
            return None
        part, i = vertex
        poly = self.layer.shapes[key].polygons[part]
        a, b = poly[i], poly[(i + 1) % len(poly)]
        return part, i + 1, (float((a[0] + b[0]) / 2), float((a[1] + b[1]) / 2))

    def delete_selected_vertex(self) -> bool:
        """Emit the intent; the handle stays selected until the delete is applied (whoever
        applies it drops the handle then), so after a refusal the next Del says why again."""
        key, vertex = self.layer.selected, self.layer.selected_vertex
        if key is None or vertex is None:
            return False
        if self.locked:
            self.refused.emit(self.locked)
            return False
        self.vertex_deleted.emit(key, *vertex)
        return True
