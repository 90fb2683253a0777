"""Gestures on the MIP and edit commands turned into annotation operations (via `editing`).

Every edit goes through `Document.edit`, so it is one undo step; a refused edit (the
annotation layer says why) is shown in words and its preview dropped. What an edit did
is said in the status bar (a delete, a relabel; a step another panel pushes, such as a
review decision, when that panel says nothing), and an outline a delete or a relabel
was about is selected again when the step is undone or redone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject
from shiboken6 import isValid

from vertapp.annotations import ops
from vertapp.errors import VertAppError
from vertapp.gui.annotate import editing
from vertapp.gui.annotate.label_palette import LabelPalette
from vertapp.gui.annotate.part_palette import LEVEL_KEY, PART_KEYS, PartPalette
from vertapp.gui.document.document import Document
from vertapp.gui.views.annotation_view import AnnotationView
from vertapp.gui.views.polygon_tool import TOO_FEW_POINTS, Mode
from vertapp.labels import VERTEBRAE
from vertapp.review.decisions import label_holder
from vertapp.review.outline_steps import outline_step
from vertapp.review.status import status_after_hand_edit
from vertapp.xray.part_display import instance_level
from vertapp.xray.parts import UNKNOWN

# attributes of an undo step (an OpCommand): seen by `_after_stack_step` (pushed, not new);
# the outline to select again when it is undone or redone
SEEN, RESELECT = "vertapp_seen", "vertapp_reselect"

# N applies the next T1..L5 label on a CT MIP; a radiograph's parts have none to suggest
PARTS_NO_N = (
    f"N names the next vertebra on CT outlines; on a radiograph a part key "
    f"({', '.join(PART_KEYS.values())}) then the level, or {LEVEL_KEY} for the level alone"
)


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
        t.vertex_deleted.connect(self._on_vertex_deleted)
        t.polygon_moved.connect(
            lambda k, dx, dy: self.edit(editing.move_polygon(k, dx, dy, self._next_gesture()))
        )
        t.brush_stroke.connect(self._on_brush_stroke)
        t.selection_changed.connect(self._on_selection)
        t.mode_changed.connect(self.show_selection_label)
        # after the image controller's own slots (connected before): the palette shows the
        # selected outline's label, else this image's next one (`show_selection_label`)
        doc.image_changed.connect(self.show_selection_label)
        doc.instances_changed.connect(self.show_selection_label)
        self._own_push = False  # a step of ours being pushed: we say it ourselves
        self._stack_index = doc.stack.index()
        doc.stack.indexChanged.connect(self._after_stack_step)

    def _next_gesture(self) -> int:
        """One drag = one gesture id, so its many small moves merge into one undo step."""
        self._gesture += 1
        return self._gesture

    def edit(self, op: Any, text: str | None = None, reselect: int | None = None) -> bool:
        """Apply `op` as one undo step (False when refused, said in words); `reselect`:
        the outline to select again when the step is undone or redone."""
        text = text or op.text
        img = self.doc.current
        deleted = op.instance_id if isinstance(op, ops.DeleteInstance) else None
        status = status_after_hand_edit(img, deleted) if img is not None else None
        if img is not None and status is not None:  # saved with the edit, undone with it
            op = ops.Macro((op, ops.SetImageStatus(img.id, status)), text)
        self._own_push = True
        try:
            self.doc.edit(op, text)
        except VertAppError as err:
            self.show_error(str(err))
            if self.doc.current_id is not None:  # drop the preview of the refused edit
                self.annot.set_shapes(self.doc.shapes(self.doc.current_id))
            return False
        finally:
            self._own_push = False
        if reselect is not None:  # undone or redone, the step selects this outline again
            command = self.doc.stack.command(self.doc.stack.index() - 1)
            if command is not None:
                setattr(command, RESELECT, reselect)
        return True

    def _after_stack_step(self, index: int) -> None:
        """After a push, an undo or a redo (the document has shown the image it changed and
        said "Undid …"): a step pushed by another panel that says nothing itself is said
        here (A accepted a prediction without a word), and an outline deleted or
        relabelled by hand is selected again when its step is undone or redone."""
        before, self._stack_index = self._stack_index, index
        stack = self.doc.stack
        if not (isValid(stack) and isValid(self.annot)):  # the window is going
            return
        if index == before + 1:  # a push or a redo
            command = stack.command(index - 1)
            if command is not None and not getattr(command, SEEN, False):  # a push
                setattr(command, SEEN, True)
                if not self._own_push:  # its panel's own words, emitted after, win
                    self.show_status(editing.pushed_words(command.text()), 6000)
                return
        elif index == before - 1:  # an undo
            command = stack.command(index)
        else:  # a jump (a new project, the clean state set): nothing to say
            return
        key = getattr(command, RESELECT, None) if command is not None else None
        if key is not None and key in self.annot.layer.shapes:  # on the image shown
            self.annot.tool.select(key)
        self.show_selection_label()

    def _on_polygon_drawn(self, points: np.ndarray) -> None:
        image_id = self.doc.current_id
        if image_id is None:
            return
        palette = self.labels()
        label, level = palette.current, self._level()
        try:  # the annotation layer repairs or refuses (e.g. a polygon outside the image)
            op = editing.add_polygon(self.doc.project, image_id, points, label, level)
        except VertAppError as err:
            self.show_error(str(err))
            return
        if not self.edit(op, f"Add {editing.outline_name(label, level)} outline"):
            return
        self.annot.tool.select(op.instance.id)
        if isinstance(palette, PartPalette):  # the next part is most often of the same vertebra
            palette.last_level = palette.level
            return
        palette.suggest(self.doc.labels_used(image_id), label)
        # say what comes next: an N pressed before ("Next outline: T6") must not stay up
        if not self._warn_double(op.instance.id, label):
            nxt = "every level is on this image" if palette.none_left else palette.current
            self.show_status(f"{label} outline added; next: {nxt}", 4000)

    def _level(self) -> str | None:
        """The vertebra of the next radiograph part; None with the T1..L5 palette."""
        palette = self.labels()
        return palette.level if isinstance(palette, PartPalette) else None

    def _on_vertex_deleted(self, key: int, part: int, index: int) -> None:
        """A deleted vertex drops its handle; a refused delete (the last three) keeps it, so
        the next Del says why again instead of "select a vertex first"."""
        if self.edit(editing.delete_vertex(key, part, index)):
            self.annot.tool.select(key)

    def _on_vertex_inserted(self, key: int, part: int, index: int, xy: Any) -> None:
        if self.edit(editing.insert_vertex(key, part, index, xy)):
            self.annot.tool.select(key, (part, index))

    def _on_brush_stroke(self, points: np.ndarray, radius: float, erase: bool) -> None:
        rec = self.doc.current
        if rec is None:
            return
        key = self.annot.layer.selected
        if key is None and erase:  # the eraser works on one outline: say which is missing
            self.show_status("Select an outline to erase from (S, click it, then E)", 6000)
            return
        label, level = self.labels().current, self._level()
        try:
            op = editing.brush_op(self.doc.project, rec, key, points, radius, erase, label, level)
        except VertAppError as err:
            self.show_error(str(err))
            return
        if op is None:
            self.show_status("Nothing painted: the stroke is outside the image", 4000)
            return
        text = editing.stroke_text(self.doc.project, key, op, erase, label, level)
        if self.edit(op, text) and key is None and isinstance(op, ops.AddInstance):
            self.annot.tool.select(op.instance.id)
            self._warn_double(op.instance.id, label)

    # -- commands (menu, toolbar, keys) ---------------------------------------------------------
    def set_mode(self, mode: Mode) -> None:
        self.annot.tool.set_mode(mode)

    def finish_polygon(self) -> None:
        tool = self.annot.tool
        if tool.draft and not tool.finish_draft():  # the draft stays: one more click
            self.show_status(TOO_FEW_POINTS, 4000)

    def cancel_drawing(self) -> None:
        if self.annot.tool.draft:
            self.annot.tool.cancel_draft()
        else:
            self.annot.tool.select(None)

    def select_outline(self, step: int) -> int | None:
        """Alt+Down / Alt+Up: the outline below / above the selected one (none selected:
        the top / bottom one), among those shown. A label key, Del, A or R then acts on
        it: without these keys an outline could only be selected with the mouse. Returns
        the outline selected (None: none was), for the window to bring it into view."""
        img, tool = self.doc.current, self.annot.tool
        if img is None:
            return None
        if tool.draft:  # the clicks so far stay: the key must not drop them
            self.show_status("Finish the polygon first (Enter), or cancel it (Esc)", 4000)
            return None
        shown = [inst for inst in img.instances if inst.id in self.annot.layer.shapes]
        key = outline_step(shown, self.annot.layer.selected, step)
        if key is None:
            where = "below" if step > 0 else "above"
            self.show_status(
                f"No outline {where} this one" if shown else "No outline on this image", 3000
            )
            return None
        tool.select(key)
        name = editing.instance_name(self.doc.project.instance(key))
        self.show_status(f"{name} outline selected", 3000)
        return int(key)

    def insert_vertex(self) -> None:
        self.annot.tool.insert_vertex_at()

    def delete_vertex(self) -> None:
        if not self.annot.tool.delete_selected_vertex():
            self.show_status("Select a vertex first (click on a handle)", 4000)

    def delete_selected(self) -> None:
        """Del / Backspace: the selected vertex (its red handle), else the selected
        outline, as Delete does in labelme and CVAT ("Select a vertex first" made users
        look for another key)."""
        layer = self.annot.layer
        if layer.selected is None:
            self.show_status(
                "Select an outline first (S, click it), or a vertex (its handle)", 4000
            )
        elif layer.selected_vertex is not None:
            self.delete_vertex()
        else:
            self.delete_polygon()

    def delete_polygon(self) -> None:
        key = self.annot.layer.selected
        if key is None or not self.doc.project.has_instance(key):
            self.show_status("Select an outline first (S, click it)", 4000)
            return
        if self.annot.tool.locked:
            self.show_status(self.annot.tool.locked, 6000)
            return
        name = editing.instance_name(self.doc.project.instance(key))
        self.annot.tool.select(None)
        if self.edit(editing.delete_instance(key), f"Delete {name} outline", reselect=key):
            self.show_status(editing.deleted_words(name), 6000)
        elif key in self.annot.layer.shapes:  # refused: it stays, selected
            self.annot.tool.select(key)

    def choose_label(self, label: str) -> None:
        """Make `label` the one for the next polygon; outside Draw mode, relabel the
        selected polygon too.

        While drawing, the polygon just drawn stays selected and the keys name the *next*
        one (draw, N, draw, N): relabelling it turned draw T1, N, draw into T2, T2.
        """
        palette = self.labels()
        if label not in palette.labels:
            return
        if self._drawing():
            palette.set_current(label)
            self.show_status(f"Next outline: {label}", 4000)
            return
        key = self.annot.layer.selected
        said = self._relabelled(key, label) if key is not None else None
        if key is not None and said and not self._warn_double(key, label):
            self.show_status(said, 4000)  # "T3 outline is now T4"
        palette.set_current(label)

    def _drawing(self) -> bool:
        tool = self.annot.tool
        return tool.mode is Mode.DRAW or bool(tool.draft)

    def _relabelled(self, key: int, label: str) -> str | None:
        """Give outline `key` the label; what was done in words (None: nothing was)."""
        inst = self.doc.project.instance(key)
        if inst.label == label:
            return None
        undo, said = editing.relabel_words(inst, label)
        return said if self.edit(editing.relabel(key, label), undo, reselect=key) else None

    def _warn_double(self, key: int, label: str) -> bool:
        """A level is one vertebra: say so when a relabel or a drawn outline gives it to a
        second outline (the review panel asks swap / keep both; here a word is enough)."""
        img = self.doc.current
        double = img is not None and label in VERTEBRAE and label_holder(img, key, label)
        if double:
            self.show_status(f"{label} is now on two outlines of this image: relabel one", 6000)
        return bool(double)

    def apply_suggested_label(self) -> None:
        palette = self.labels()
        if isinstance(palette, PartPalette):  # no level to suggest: N turned a body into a process
            self.show_status(PARTS_NO_N, 6000)
            return
        if palette.none_left:  # the current label is on the image already: no twin by N
            self.show_status("Every level is on this image already: choose a label", 4000)
            return
        self.choose_label(palette.current)

    # -- radiograph parts: part key, then the level typed (part_palette.py) ----------------------
    def attach_palette(self, palette: LabelPalette) -> None:
        """Connect a palette the window puts up (it changes with the image's kind)."""
        if isinstance(palette, PartPalette):
            palette.label_chosen.connect(self._set_part)
            palette.level_chosen.connect(self.choose_level)
            palette.entry_closed.connect(lambda: self.annot.canvas.view.setFocus())
        else:
            palette.label_chosen.connect(self.choose_label)

    def _editing_selection(self) -> int | None:
        """The part a part key or level changes: the selected one, in Select mode only.

        While drawing, the polygon just drawn stays selected, and the keys name the
        *next* one (part key, level, clicks, again): they must not relabel it.
        """
        key = self.annot.layer.selected
        if key is None or self.annot.tool.mode is not Mode.SELECT:
            return None
        return key if self.doc.project.has_instance(key) else None

    def _set_part(self, part: str) -> None:
        palette = self.labels()
        key = self._editing_selection()
        if key is not None:
            self._relabelled(key, part)
        palette.set_current(part)

    def choose_part(self, part: str) -> None:
        """A part key: that part for the selected and the next polygon, then type its level."""
        palette = self.labels()
        if not isinstance(palette, PartPalette):
            self.show_status("Parts are for radiographs; this image takes T1..L5", 4000)
            return
        self._set_part(part)
        palette.begin_entry()

    def begin_level_entry(self) -> None:
        palette = self.labels()
        if isinstance(palette, PartPalette):
            palette.begin_entry()

    def show_selection_label(self, *_args: object) -> None:
        """The palette checks the selected outline's label (while not drawing: then the
        keys name the next outline), else the next label for this image."""
        palette = self.labels()
        if isinstance(palette, PartPalette):  # its buttons are the part keys' (not levels)
            return
        key, label = self.annot.layer.selected, None
        if key is not None and not self._drawing() and self.doc.project.has_instance(key):
            label = self.doc.project.instance(key).label
        palette.show_selected(label)

    def selected_instance(self) -> Any:
        """The selected outline's instance (None when nothing is selected)."""
        key = self.annot.layer.selected
        if key is None or not self.doc.project.has_instance(key):
            return None
        return self.doc.project.instance(key)

    def _on_selection(self, key: Any) -> None:
        """A radiograph part selected: its vertebra is the palette's (the level box, "Next:
        pedicle of T10", 'same vertebra as the last'), as the CT palette shows the selected
        outline's label. A selected T10 body left "vertebra not set" there, so V, a part
        key or the next polygon started from nothing."""
        self.show_selection_label()
        palette = self.labels()
        if (
            isinstance(palette, PartPalette)
            and key is not None
            and self.doc.project.has_instance(key)
        ):
            inst = self.doc.project.instance(key)
            level = instance_level(inst.label, inst.extra)
            # an unknown level keeps the user's; a level being typed is not overwritten
            if level not in (None, UNKNOWN) and not palette.entering:
                palette.set_level(str(level))
            if level is not None:
                palette.last_level = level

    def choose_level(self, level: str) -> None:
        """The selected part (Select mode) moves to `level`; the next polygons are drawn for it."""
        palette = self.labels()
        key = self._editing_selection()
        if key is not None:
            op = editing.set_level(self.doc.project, key, level)
            if op is not None and self.edit(op, reselect=key):
                self.annot.tool.select(key)
        if isinstance(palette, PartPalette):
            palette.set_level(level)
            palette.last_level = level
            self.show_status(f"Next polygon: {palette.next_text()}", 4000)
