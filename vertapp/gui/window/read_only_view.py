"""The main window while its project is read-only (`Document.read_only` says why).

The project was opened read-only (another window holds it), or another window opened
it anyway and this one lost it. Either way nothing edited here can be saved, so the
window says so where it stays in view (the bar above the image, a status-bar badge)
and greys out the tools that edit, instead of refusing each polygon or stroke once it
is done. Ctrl+S still answers: it says why and offers Save as (the disabled Save
would be silent). All of it follows the flag wherever it changes, through the title,
which every such change updates already ("(read-only)").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QBoxLayout, QWidget

from vertapp.gui.views.polygon_tool import Mode
from vertapp.gui.widgets.actions import StdKey, make_action
from vertapp.gui.widgets.read_only_bar import LOCKED_TIP, ReadOnlyBar, lock, read_only_badge

if TYPE_CHECKING:
    from vertapp.gui.window.main_window import MainWindow


class ReadOnlyView:
    def __init__(self, w: MainWindow, layout: QBoxLayout) -> None:
        self.w = w
        self.bar = ReadOnlyBar()
        self.bar.save_as.connect(w.files.ask_save_as)
        layout.insertWidget(0, self.bar)  # above the scan's warnings and the image
        self.badge = read_only_badge()
        w.statusBar().insertPermanentWidget(0, self.badge)
        # Ctrl+S while Save is greyed out: the refusal, with "Save as" offered when
        # there are unsaved edits (files.save). The key moves to it and back: bound to
        # two actions at once, Qt would take it for ambiguous and do nothing
        self.save_key = make_action(w, "Save (read-only)", w.files.save)
        self.save_key.setEnabled(False)
        # A vertex or outline dragged on the image: refused as the drag starts, in the
        # status bar (it followed the mouse, then snapped back with a box each time)
        w.annot.tool.refused.connect(lambda why: w.show_status(why, 8000))
        self.shown = ""

    @property
    def read_only(self) -> bool:
        return bool(self.w.doc.read_only)

    def follow(self) -> None:
        """Show the document's read-only state, if it changed since last shown."""
        reason = self.w.doc.read_only
        if reason == self.shown:
            return
        self.shown = reason
        self.bar.show_reason(reason)
        self.badge.setVisible(bool(reason))
        self.badge.setToolTip(reason)
        self._move_save_key(bool(reason))
        self.w.annot.tool.locked = LOCKED_TIP if reason else ""
        if reason and self.w.annot.tool.mode is not Mode.SELECT:
            self.w.set_mode(Mode.SELECT)  # a polygon half drawn could not be kept
        lock(self._locked(), bool(reason))
        self.lock_palette(self.w.labels)
        self.w._update_enabled()  # those that also depend on the image and selection
        workflow = getattr(self.w, "model_workflow", None)
        if workflow is not None:
            workflow.set_read_only(bool(reason))

    def _move_save_key(self, read_only: bool) -> None:
        self.save_key.setEnabled(read_only)
        keys = (self.save_key, self.w.act_save) if read_only else (self.w.act_save, self.save_key)
        keys[0].setShortcut(QKeySequence(StdKey.Save))
        keys[1].setShortcut(QKeySequence())

    def _locked(self) -> list[QAction]:
        """The edits the window's own `_update_enabled` leaves enabled or not by state
        are greyed there (`editable`); these get the reason as their tooltip too."""
        w = self.w
        return [
            w.act_save,
            w.act_draw,
            w.act_brush,
            w.act_eraser,
            w.act_insert_vertex,
            w.act_delete_vertex,
            w.act_delete_polygon,
            w.act_next_label,
            *w.label_actions.values(),
            *w.part_actions,
        ]

    def lock_palette(self, palette: Any) -> None:
        """The label buttons (T1..L5 or the radiograph parts): a new palette comes with
        each change of image kind."""
        buttons: list[QWidget] = list(palette.buttons.values())
        lock([palette, *buttons], self.read_only)
