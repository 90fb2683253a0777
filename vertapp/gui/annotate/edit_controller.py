"""Gestures on the MIP and edit commands turned into annotation operations (via `editing`).

Every edit goes through `Document.edit`, so it is one undo step; a refused edit (the
annotation layer says why) is shown in words and its preview dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from vertapp.annotations import ops
from vertapp.errors import VertAppError
from vertapp.gui.annotate import editing
from vertapp.gui.annotate.label_palette import LabelPalette, suggest_next
from vertapp.gui.document.document import Document
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.polygon_tool import Mode
from vertapp.review.status import status_after_hand_edit


class EditController(QObject):
    """Edits of the current image. `labels` returns the palette in use (it changes with
    the project's label set); `show_error` and `show_status` are the window's."""

    def __init__(
        self,
        doc: Document,
        annot: AnnotationView,
        labels: Callable[[], LabelPalette],
        show_error: Callable[[str], None],
        show_status: Callable[[str, int], None],
    ) -> None:
        super().__init__(annot)
        self.doc, self.annot, self.labels = doc, annot, labels
        self.show_error, self.show_status = show_error, show_status
        self._gesture = 0
        t = annot.tool
        t.polygon_drawn.connect(self._on_polygon_drawn)
        t.vertex_moved.connect(
            lambda k, p, i, xy: self.edit(editing.move_vertex(k, p, i, xy, self._next_gesture()))
        )
        t.vertex_inserted.connect(self._on_vertex_inserted)
        t.vertex_deleted.connect(lambda k, p, i: self.edit(editing.delete_vertex(k, p, i)))
        t.polygon_moved.connect(
            lambda k, dx, dy: self.edit(editing.move_polygon(k, dx, dy, self._next_gesture()))
        )
        t.brush_stroke.connect(self._on_brush_stroke)

    def _next_gesture(self) -> int:
        """One drag = one gesture id, so its many small moves merge into one undo step."""
        self._gesture += 1
        return self._gesture

    def edit(self, op: Any, text: str | None = None) -> bool:
        text = text or op.text
        img = self.doc.current
        status = status_after_hand_edit(img) if img is not None else None
        if img is not None and status is not None:  # saved with the edit, undone with it
            op = ops.Macro((op, ops.SetImageStatus(img.id, status)), text)
        try:
            self.doc.edit(op, text)
        except VertAppError as err:
            self.show_error(str(err))
            if self.doc.current_id is not None:  # drop the preview of the refused edit
                self.annot.set_shapes(self.doc.shapes(self.doc.current_id))
            return False
        return True

    def _on_polygon_drawn(self, points: np.ndarray) -> None:
        image_id = self.doc.current_id
        if image_id is None:
            return
        palette = self.labels()
        label = palette.current
        try:  # the annotation layer repairs or refuses (e.g. a polygon outside the image)
            op = editing.add_polygon(self.doc.project, image_id, points, label)
        except VertAppError as err:
            self.show_error(str(err))
            return
        if self.edit(op, f"Add {label}"):
            self.annot.tool.select(op.instance.id)
            used = self.doc.labels_used(image_id)
            palette.set_current(suggest_next(used, label, palette.labels))

    def _on_vertex_inserted(self, key: int, part: int, index: int, xy: Any) -> None:
        if self.edit(editing.insert_vertex(key, part, index, xy)):
            self.annot.tool.select(key, (part, index))

    def _on_brush_stroke(self, points: np.ndarray, radius: float, erase: bool) -> None:
        rec = self.doc.current
        if rec is None:
            return
        key = self.annot.layer.selected
        try:
            op = editing.brush_op(
                self.doc.project, rec, key, points, radius, erase, self.labels().current
            )
        except VertAppError as err:
            self.show_error(str(err))
            return
        if op is not None and self.edit(op) and key is None and hasattr(op, "instance"):
            self.annot.tool.select(op.instance.id)

    # -- commands (menu, toolbar, keys) ---------------------------------------------------------
    def set_mode(self, mode: Mode) -> None:
        self.annot.tool.set_mode(mode)

    def finish_polygon(self) -> None:
        self.annot.tool.finish_draft()

    def cancel_drawing(self) -> None:
        if self.annot.tool.draft:
            self.annot.tool.cancel_draft()
        else:
            self.annot.tool.select(None)

    def insert_vertex(self) -> None:
        self.annot.tool.insert_vertex_at()

    def delete_vertex(self) -> None:
        if not self.annot.tool.delete_selected_vertex():
            self.show_status("Select a vertex first (click on a handle)", 4000)

    def delete_polygon(self) -> None:
        key = self.annot.layer.selected
        if key is not None:
            self.annot.tool.select(None)
            self.edit(editing.delete_instance(key))

    def choose_label(self, label: str) -> None:
        """Relabel the selected polygon, and make `label` the one for the next polygon."""
        palette = self.labels()
        if label not in palette.labels:
            return
        key = self.annot.layer.selected
        if key is not None and self.doc.project.instance(key).label != label:
            self.edit(editing.relabel(key, label))
        palette.set_current(label)

    def apply_suggested_label(self) -> None:
        self.choose_label(self.labels().current)
