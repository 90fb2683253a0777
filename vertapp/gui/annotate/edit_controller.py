"""Gestures and edit commands turned into annotation operations (via `editing`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtWidgets import QMenu

from vertapp.errors import VertAppError
from vertapp.gui.annotate import editing
from vertapp.gui.annotate.label_palette import suggest_next
from vertapp.gui.views.polygon_tool import Mode

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from vertapp.gui.annotate.label_palette import LabelPalette
    from vertapp.gui.document.document import Document
    from vertapp.gui.views.annotation_view import AnnotationView


if TYPE_CHECKING:  # type-check the mixin as the window it is mixed into
    from PySide6.QtWidgets import QMainWindow as _Window
else:
    _Window = object


class EditingMixin(_Window):
    if TYPE_CHECKING:
        doc: Document
        annot: AnnotationView
        labels: LabelPalette
        _gesture: int
        act_select: QAction
        act_draw: QAction
        act_brush: QAction
        act_eraser: QAction
        act_finish: QAction
        act_cancel: QAction
        act_insert_vertex: QAction
        act_delete_vertex: QAction
        act_delete_polygon: QAction
        act_undo: QAction
        act_redo: QAction

        def show_error(self, message: str) -> None: ...

    def set_mode(self, mode: Mode) -> None:
        self.annot.tool.set_mode(mode)
        {
            Mode.SELECT: self.act_select,
            Mode.DRAW: self.act_draw,
            Mode.BRUSH: self.act_brush,
            Mode.ERASER: self.act_eraser,
        }[mode].setChecked(True)

    def _next_gesture(self) -> int:
        self._gesture += 1
        return self._gesture

    def _edit(self, op: Any, text: str | None = None) -> bool:
        try:
            self.doc.edit(op, text or op.text)
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
        label = self.labels.current
        try:  # the annotation layer repairs or refuses (e.g. a polygon outside the image)
            op = editing.add_polygon(self.doc.project, image_id, points, label)
        except VertAppError as err:
            self.show_error(str(err))
            return
        if self._edit(op, f"Add {label}"):
            self.annot.tool.select(op.instance.id)
            used = self.doc.labels_used(image_id)
            self.labels.set_current(suggest_next(used, label, self.labels.labels))

    def _on_vertex_inserted(self, key: int, part: int, index: int, xy: Any) -> None:
        if self._edit(editing.insert_vertex(key, part, index, xy)):
            self.annot.tool.select(key, (part, index))

    def _on_brush_stroke(self, points: np.ndarray, radius: float, erase: bool) -> None:
        rec = self.doc.current
        if rec is None:
            return
        key = self.annot.layer.selected
        try:
            op = editing.brush_op(
                self.doc.project, rec, key, points, radius, erase, self.labels.current
            )
        except VertAppError as err:
            self.show_error(str(err))
            return
        if op is not None and self._edit(op) and key is None and hasattr(op, "instance"):
            self.annot.tool.select(op.instance.id)

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
            self.statusBar().showMessage("Select a vertex first (click on a handle)", 4000)

    def delete_polygon(self) -> None:
        key = self.annot.layer.selected
        if key is not None:
            self.annot.tool.select(None)
            self._edit(editing.delete_instance(key))

    def choose_label(self, label: str) -> None:
        """Relabel the selected polygon, and make `label` the one for the next polygon."""
        if label not in self.labels.labels:
            return
        key = self.annot.layer.selected
        if key is not None and self.doc.project.instance(key).label != label:
            self._edit(editing.relabel(key, label))
        self.labels.set_current(label)

    def apply_suggested_label(self) -> None:
        self.choose_label(self.labels.current)

    def _show_context_menu(self, global_pos: Any) -> None:
        menu = QMenu(self)
        if self.annot.tool.mode is Mode.DRAW:
            menu.addActions([self.act_finish, self.act_cancel])
        else:
            menu.addActions(
                [self.act_insert_vertex, self.act_delete_vertex, self.act_delete_polygon]
            )
            sub = menu.addMenu("Label")
            sub.setEnabled(self.annot.layer.selected is not None)
            for name in self.labels.labels:
                sub.addAction(name).triggered.connect(lambda _c=False, n=name: self.choose_label(n))
        menu.addSeparator()
        menu.addActions([self.act_select, self.act_draw, self.act_brush, self.act_eraser])
        menu.addSeparator()
        menu.addActions([self.act_undo, self.act_redo])
        menu.popup(global_pos)
