"""Review dock: accept, reject, edit, relabel or flag each predicted vertebra of an image.

Every decision is an annotation-layer operation pushed on the window's undo stack (one
button press = one undo step, the image status update included). "Edit" selects the
instance in the main view, whose polygon tools do the editing (and mark it corrected).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vertapp.annotations.model import Instance, Project
from vertapp.annotations.ops import Macro, Operation, SetImageStatus
from vertapp.errors import VertAppError
from vertapp.gui.document.undo import OpCommand
from vertapp.gui.model.completion_prompt import ask_undecided, completed_words
from vertapp.gui.widgets.colors import label_color, level_color
from vertapp.gui.widgets.read_only_bar import lock
from vertapp.labels import PARTS, VERTEBRAE
from vertapp.review import completion, decisions
from vertapp.review import status as rv
from vertapp.review.numbering_caveat import NO_LANDMARK, unanchored
from vertapp.review.wording import count
from vertapp.xray.part_display import PART_SHORT, instance_level

COLUMNS = ("Vertebra", "Score", "Source", "Status", "Note")
# Text colours, each at least 4.5:1 on the white list (WCAG AA): the brighter ones
# (grey 120, orange 230/140/0, green 0/150/60) measured 2.6-4.4:1.
STATUS_COLORS = {
    rv.NOT_STARTED: QColor(100, 100, 100),
    rv.IN_PROGRESS: QColor(170, 85, 0),
    rv.COMPLETED: QColor(0, 120, 50),
    rv.FLAGGED: QColor(200, 30, 30),
}
NOTE_COLOR = QColor(170, 80, 0)


# name -> (what it does, shortcut). The window turns these into actions (Model > Review) so
# the keys work wherever the focus is; none collides with the window's own keys.
ACTIONS: dict[str, tuple[str, str]] = {
    "accept": ("Accept the selected predictions", "A"),
    "reject": ("Reject (remove) the selected predictions", "R"),
    "edit": ("Edit the selected outline with the polygon tools", "Shift+E"),
    "flag": ("Flag the selected vertebra for an expert", "Shift+F"),
    "relabel": ("Give the selected vertebra the chosen label", ""),
    "levels_up": (
        "Renumber this image: every vertebra one level up (L1 becomes T12)",
        "Ctrl+Shift+Up",
    ),
    "levels_down": (
        "Renumber this image: every vertebra one level down (T12 becomes L1)",
        "Ctrl+Shift+Down",
    ),
    "accept_all": ("Accept every prediction at or above the score threshold", "Shift+A"),
    "flag_image": ("Flag this image for an expert (or clear the flag)", "Ctrl+Shift+F"),
    "complete": ("Mark this image's review completed", "Ctrl+Shift+Return"),
    "next": ("Go to the next image that needs review", "Ctrl+Right"),
    "next_flagged": ("Go to the next image flagged for an expert", "Ctrl+Shift+Right"),
}
# The ones that change the project: greyed out while it is read-only (set_read_only)
DECISIONS = tuple(name for name in ACTIONS if name not in ("next", "next_flagged"))


class ReviewHost(Protocol):
    """What the panel needs from the window's document (vertapp.gui.document.document.Document)."""

    project: Project
    current_id: int | None
    image_ids: list[int]
    stack: QUndoStack
    image_changed: Any  # Signal(object)
    instances_changed: Any  # Signal(object)
    reset: Any  # Signal()

    def set_current(self, image_id: int | None) -> None: ...


def ask_label_conflict(parent: QWidget, text: str) -> str:
    """'swap', 'both' or 'cancel': what to do when the new label is already used."""
    box = QMessageBox(QMessageBox.Icon.Question, "Label already used", text, parent=parent)
    swap = box.addButton("Swap the labels", QMessageBox.ButtonRole.AcceptRole)
    both = box.addButton("Keep both", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(swap)
    box.exec()
    return {id(swap): "swap", id(both): "both"}.get(id(box.clickedButton()), "cancel")


ORDER_NOTE_TIP = (
    "The top-to-bottom numbering set this label, not the model's own class for this "
    "vertebra: check it first (▲/▼ All levels move the whole image)."
)


class AfterEdits(QObject):
    """Run `update` once for a burst of project changes.

    The project reports every operation: Shift+A on 17 predictions (one undo step, a
    macro) was 17 changes, and each redrew the review table and recounted the whole
    project (286 ms on a 300-image project, its undo as long). `schedule()` marks the
    view stale; it is redrawn once the undo step that made the changes is done (the
    stack's indexChanged comes after a push, an undo or a redo, macros included), else
    (a change made outside the stack) on the next turn of the event loop.
    """

    def __init__(self, stack: QUndoStack, update: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._update = update
        self.due = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.flush)
        stack.indexChanged.connect(self._on_step)  # a bound slot: dropped with this object

    def schedule(self) -> None:
        self.due = True
        self._timer.start()

    def flush(self) -> None:
        """Update now if a change waits (the table is read right after a decision)."""
        if self.due:
            self.done()
            self._update()

    def done(self) -> None:
        """The view was updated another way: nothing waits any more."""
        self.due = False
        self._timer.stop()

    def _on_step(self, _index: int) -> None:
        self.flush()


class ReviewPanel(QWidget):
    """Table of the current image's instances plus the review actions."""

    instance_selected = Signal(object)  # instance id or None: show it in the main view
    edit_requested = Signal(int)  # instance id: select it for the main view's polygon tools
    message = Signal(str)  # a sentence for the status bar

    def __init__(self, host: ReviewHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.threshold = 0.9
        self._row_ids: list[int] = []
        self.slots: dict[str, Callable[[], Any]] = {}
        self.buttons: dict[str, QPushButton] = {}
        # Asked when a relabel would double a label (tests answer without a dialog).
        self.resolve_conflict: Callable[[str], str] = lambda text: ask_label_conflict(self, text)
        # Asked by Mark completed while shown predictions are undecided (n -> ACCEPT,
        # REJECT or anything else for cancel); the window asks its own way (headless: cancel).
        self.ask_undecided: Callable[[int], str] = lambda n: ask_undecided(self, n)
        self._build()
        self._stale = AfterEdits(host.stack, self.refresh, self)
        host.image_changed.connect(lambda _id: self._show_image())
        host.instances_changed.connect(self._on_instances_changed)
        host.reset.connect(self._show_image)
        self.refresh()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.image_label = QLabel()
        self.image_label.setWordWrap(True)
        # wrapped, never clipped: the label grows to the lines it needs
        self.image_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # A selected row drew every header bold while the columns are sized for the normal
        # font: "Vertebra" touched its column's edge. Rows are selected whole, so the
        # highlight told nothing.
        header.setHighlightSections(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        b = self._button
        self.accept_button = b("Accept", "accept", self.accept_selected)
        self.reject_button = b("Reject", "reject", self.reject_selected)
        self.edit_button = b("Edit", "edit", self.edit_selected)
        self.flag_button = b("Flag", "flag", self.flag_selected)
        self.relabel_combo = QComboBox()
        self.relabel_combo.setToolTip("The selected vertebra's label; choose another, then Relabel")
        self.relabel_combo.setMaxVisibleItems(12)
        self.relabel_combo.setStyleSheet("combobox-popup: 0;")  # a scrolling list, not full-height
        self.relabel_button = b("Relabel", "relabel", self.relabel_selected)
        self.levels_up_button = b("▲ All levels up", "levels_up", lambda: self.shift_levels(-1))
        self.levels_down_button = b(
            "▼ All levels down", "levels_down", lambda: self.shift_levels(1)
        )
        self.accept_all_button = b("Accept all ≥ threshold", "accept_all", self.accept_all_above)
        self.flag_image_button = b("Flag image for expert", "flag_image", self.toggle_image_flag)
        self.complete_button = b("Mark image completed", "complete", self.mark_completed)
        self.next_button = b("Next unreviewed ▶", "next", self.go_next_unreviewed)
        self.next_flagged_button = b("Next flagged ▶", "next_flagged", self.go_next_flagged)
        grid = QGridLayout()
        for i, btn in enumerate(
            (self.accept_button, self.reject_button, self.edit_button, self.flag_button)
        ):
            grid.addWidget(btn, 0, i)
        relabel = QHBoxLayout()
        relabel.addWidget(self.relabel_combo, 1)
        relabel.addWidget(self.relabel_button)
        grid.addLayout(relabel, 1, 0, 1, 4)
        grid.addWidget(self.levels_up_button, 2, 0, 1, 2)
        grid.addWidget(self.levels_down_button, 2, 2, 1, 2)
        grid.addWidget(self.accept_all_button, 3, 0, 1, 4)
        grid.addWidget(self.flag_image_button, 4, 0, 1, 2)
        grid.addWidget(self.complete_button, 4, 2, 1, 2)
        grid.addWidget(self.next_button, 5, 0, 1, 2)
        grid.addWidget(self.next_flagged_button, 5, 2, 1, 2)
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        v.addWidget(self.image_label)
        v.addWidget(self.table, 1)
        v.addLayout(grid)
        # The panel's own sentences, whole: in the status bar they were cut off by the
        # cursor read-out and the progress box beside them.
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.message.connect(self.note.setText)
        v.addWidget(self.note)

    def _button(self, text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
        tip, key = ACTIONS[name]
        button = QPushButton(text)
        button.setToolTip(f"{tip} ({key})" if key else tip)
        button.clicked.connect(lambda _=False: slot())
        self.slots[name] = slot
        self.buttons[name] = button
        return button

    def set_read_only(self, read_only: bool) -> None:
        """Decisions are edits: greyed out, saying why, while the project is read-only
        (each was refused in words only once pressed); browsing stays."""
        lock([*(self.buttons[n] for n in DECISIONS), self.relabel_combo], read_only)

    # -- showing ---------------------------------------------------------------------------
    def set_threshold(self, value: float) -> None:
        self.threshold = float(value)
        self.refresh()

    def _on_instances_changed(self, image_id: Any) -> None:
        if image_id == self.host.current_id:
            self._stale.schedule()  # once for the whole undo step (AfterEdits)

    def _show_image(self) -> None:
        """Another image (or project): its table, its first undecided prediction selected,
        as after a decision. After Ctrl+Right no row was selected, and A or R did nothing
        until one was clicked."""
        self.refresh()
        self._select_next_undecided(0)

    def refresh(self) -> None:
        self._stale.done()
        img = self._image()
        selected = set(self.selected_ids())
        self.table.blockSignals(True)
        instances = [] if img is None else self.visible_instances()
        self.table.setRowCount(len(instances))
        self._row_ids = [inst.id for inst in instances]
        # Columns sized to their contents once, after the fill: sized after every cell,
        # the 75 cells of 15 vertebrae took 11 ms (of 0.2 ms), once per decision.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        try:
            for row, inst in enumerate(instances):
                self._fill_row(row, inst)
        finally:
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.clearSelection()
        for row, inst_id in enumerate(self._row_ids):
            if inst_id in selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self._refresh_labels()
        self._refresh_header(img)

    def visible_instances(self) -> list[Instance]:
        """Instances of the current image, hiding undecided predictions below the threshold."""
        img = self._image()
        if img is None:
            return []
        return [i for i in img.instances if not self.hidden_by_threshold(i)]

    def hidden_by_threshold(self, inst: Instance) -> bool:
        return rv.hidden_by_threshold(inst, self.threshold)

    def _fill_row(self, row: int, inst: Instance) -> None:
        status = rv.instance_status(inst)
        note = ""
        if inst.order_changed:
            was = rv.app_field(inst, rv.ORIGINAL_LABEL_KEY)
            note = f"⚠ model said {was}" if was else "⚠ set by order"  # fits the column
        level = instance_level(inst.label, inst.extra)  # radiograph parts: "L3 pedicle"
        cells = (
            inst.label if level is None else f"{level} {PART_SHORT[inst.label]}",
            "" if inst.score is None else f"{inst.score:.3f}",
            inst.source,
            rv.row_text(inst),
            note,
        )
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col == 0:  # the label's colour as a swatch: as text it read 1.9:1 (L4)
                color = label_color(inst.label) if level is None else level_color(level)
                item.setData(Qt.ItemDataRole.DecorationRole, color)
            if col == 3:
                item.setForeground(QBrush(STATUS_COLORS[status]))
            if col == 4 and note:
                item.setForeground(QBrush(NOTE_COLOR))
                item.setToolTip(ORDER_NOTE_TIP)
            self.table.setItem(row, col, item)

    def _refresh_labels(self) -> None:
        labels = decisions.relabel_choices(list(self.host.project.labels))
        if [self.relabel_combo.itemText(i) for i in range(self.relabel_combo.count())] != labels:
            self.relabel_combo.clear()
            self.relabel_combo.addItems(labels)

    def _refresh_header(self, img: Any) -> None:
        if img is None:
            self.image_label.setText("No image")
            return
        pending = sum(rv.is_pending(i) for i in img.instances)
        hidden = sum(self.hidden_by_threshold(i) for i in img.instances)
        text = (
            f"<b>{img.file_name.split('/')[-1]}</b> — image "
            f"{rv.STATUS_TEXT.get(img.status, img.status)}; {count(pending, 'prediction')} to review"
        )
        if hidden:
            text += f", {hidden} below the score threshold hidden"
        if unanchored(img):
            text += f"<br><span style='color:#c85a00'>⚠ {NO_LANDMARK}</span>"
        self.image_label.setText(text)
        self.image_label.setToolTip(text)
        self.flag_image_button.setText(
            "Clear expert flag" if img.status == rv.FLAGGED else "Flag image for expert"
        )

    # -- selection -------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self._row_ids[r] for r in rows if r < len(self._row_ids)]

    def select_instance(self, instance_id: int | None) -> None:
        """Follow a selection made in the main view."""
        self.table.blockSignals(True)
        self.table.clearSelection()
        if instance_id in self._row_ids:
            self.table.selectRow(self._row_ids.index(instance_id))
        self.table.blockSignals(False)
        self._follow_relabel(self.selected_ids())

    def _on_row_selected(self) -> None:
        ids = self.selected_ids()
        self._follow_relabel(ids)
        self.instance_selected.emit(ids[0] if ids else None)

    def _follow_relabel(self, ids: list[int]) -> None:
        if ids:  # the relabel box starts from the vertebra's own label (a part's level)
            self.relabel_combo.setCurrentText(
                decisions.shown_label(self.host.project.instance(ids[0]))
            )

    def _select_row(self, row: int) -> None:
        if self._row_ids:
            row = min(max(row, 0), len(self._row_ids) - 1)
            # this row alone, in one change, whatever modifier key is held (selectRow
            # adds to the selection while Ctrl is down)
            flags = QItemSelectionModel.SelectionFlag
            index = self.table.model().index(row, 0)
            self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
            self.table.scrollTo(index)

    def _select_next_undecided(self, start: int) -> bool:
        """Select the first row at or after `start` (wrapping) still waiting for a decision."""
        row = rv.next_undecided(self.visible_instances(), start)
        if row is not None:
            self._select_row(row)
        return row is not None

    # -- decisions -------------------------------------------------------------------------
    def push(self, ops: Sequence[Operation], text: str) -> bool:
        """Apply `ops` (plus the image status update) as one undo step on the window's stack."""
        image_id = self.host.current_id
        if not ops or image_id is None:
            return False
        project = self.host.project
        try:
            inverse = decisions.apply_with_status(project, ops, image_id)
        except VertAppError as err:
            self.message.emit(str(err))
            return False
        self.host.stack.push(OpCommand(project.apply, inverse, text))
        self._stale.flush()  # the table as the step left it (the stack's signal did it)
        return True

    def _nothing_selected(self, verb: str) -> bool:
        """Said in the status bar: A or R with no row selected did nothing, in silence."""
        if self.selected_ids():
            return False
        if self.visible_instances():
            self.message.emit(f"Nothing to {verb}: select a vertebra in the list first.")
        else:
            self.message.emit(f"Nothing to {verb}: this image has no vertebra in the list.")
        return True

    def accept_selected(self) -> None:
        if self._nothing_selected("accept"):
            return
        ids = self.selected_ids()
        after = max((self._row_ids.index(i) for i in ids), default=-1) + 1
        ops = decisions.accept_ops(self.host.project, ids)
        if not ops and decisions.already_accepted(self.host.project, ids):
            self.message.emit("Already accepted: nothing changed.")
            self._select_next_undecided(after)
        elif not ops:  # A on a hand-drawn outline did nothing, in silence
            self.message.emit("Nothing to accept: a hand-drawn outline needs no decision.")
        elif self.push(ops, f"Accept {count(len(ops), 'prediction')}"):
            self._select_next_undecided(after)  # the next vertebra, ready for its decision

    def reject_selected(self) -> None:
        if self._nothing_selected("reject"):
            return
        ids = self.selected_ids()
        first_row = self._row_ids.index(ids[0]) if ids else 0
        ops = decisions.reject_ops(self.host.project, ids)
        if self.push(ops, f"Reject {count(len(ops), 'prediction')}"):
            # the rows below moved up one: the next vertebra is at the rejected one's row
            if not self._select_next_undecided(first_row):
                self._select_row(first_row)
        elif ids:
            self.message.emit("Only predictions can be rejected; delete a drawn outline instead.")

    def edit_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.edit_requested.emit(ids[0])
            self.message.emit("Edit the outline in the image, then press Accept.")

    def flag_selected(self) -> None:
        project = self.host.project
        self.push(decisions.flag_ops(project, self.selected_ids()), "Flag for expert")

    def relabel_selected(self) -> None:
        ids, img = self.selected_ids(), self._image()
        label = self.relabel_combo.currentText()
        if not ids or not label or img is None:
            return
        project, inst_id = self.host.project, ids[0]
        inst = project.instance(inst_id)
        if inst.label in PARTS and label in VERTEBRAE:  # a part to another vertebra
            if label != decisions.shown_label(inst):
                ops = decisions.move_to_level_ops(img, inst, label, reviewed=True)
                self.push(ops, f"Move {inst.label} to {label}")
            return
        many = label in PARTS  # every vertebra has a body: only T1..L5 are unique
        holder = None if many else decisions.label_holder(img, inst_id, label)
        answer = "both" if holder is None else self.resolve_conflict(self._conflict_text(holder))
        if answer == "swap" and holder is not None:
            mine = project.instance(inst_id).label
            ops = decisions.swap_label_ops(project, inst_id, holder.id)
            self.push(ops, f"Swap labels {mine} and {label}")
        elif answer == "both":
            self.push(decisions.relabel_ops(project, inst_id, label), f"Relabel as {label}")

    def shift_levels(self, step: int) -> None:
        """Renumber every vertebra of the image `step` levels (+1: one level down the spine)."""
        image_id = self.host.current_id
        if image_id is None:
            return
        try:
            img = self.host.project.images[image_id]
            hidden = [i.id for i in img.instances if self.hidden_by_threshold(i)]
            ops = decisions.shift_levels_ops(self.host.project, image_id, step, hidden)
        except VertAppError as err:
            self.message.emit(str(err))
            return
        way = "down" if step > 0 else "up"
        if self.push(ops, f"All levels {way}"):
            self.message.emit(f"Every vertebra of this image renumbered one level {way}.")

    def _conflict_text(self, holder: Instance) -> str:
        where = (
            f"a prediction hidden below the score threshold (score {holder.score:.2f})"
            if self.hidden_by_threshold(holder)
            else "another outline of this image"
        )
        return (
            f"{holder.label} is already used by {where}. Swap the two labels, "
            f"or keep both (two {holder.label} outlines)?"
        )

    def accept_all_above(self) -> None:
        img = self._image()
        if img is None:
            return
        ops = decisions.accept_above_ops(img, self.threshold)
        if not self.push(ops, f"Accept {count(len(ops), 'prediction')} ≥ {self.threshold:.2f}"):
            self.message.emit("No prediction at or above the threshold is waiting for review.")

    def toggle_image_flag(self) -> None:
        img = self._image()
        if img is None:
            return
        flagged = img.status == rv.FLAGGED
        self._set_image_status(rv.status_after_unflag(img) if flagged else rv.FLAGGED)

    def mark_completed(self) -> None:
        """Completed as shown, with no prediction left undecided (vertapp.review.completion):
        the reviewer says what becomes of the shown undecided ones (cancel: nothing
        changes), and those hidden below the threshold, never seen, are rejected with it.
        One undo step."""
        img = self._image()
        if img is None:
            return
        waiting = len(completion.undecided_shown(img, self.threshold))
        shown = self.ask_undecided(waiting) if waiting else None
        if waiting and shown not in (completion.ACCEPT, completion.REJECT):
            verb = "waits" if waiting == 1 else "wait"
            self.message.emit(
                f"Not completed: {count(waiting, 'prediction')} still {verb} for a decision."
            )
            return
        hidden = len(rv.hidden_pending(img, self.threshold))
        project = self.host.project
        ops = completion.completion_ops(project, img, self.threshold, shown)
        try:  # refused in words (a project opened read-only), never a crash dialog
            inverse = project.apply(Macro(tuple(ops), "Image completed"))
        except VertAppError as err:
            self.message.emit(str(err))
            return
        self.host.stack.push(OpCommand(project.apply, inverse, "Image completed"))
        self.message.emit(completed_words(waiting, shown, hidden))
        self._stale.flush()

    def _set_image_status(self, status: str) -> None:
        image_id = self.host.current_id
        if image_id is None:
            return
        project = self.host.project
        try:  # refused in words (a project opened read-only), never a crash dialog
            inverse = project.apply(SetImageStatus(image_id, status))
        except VertAppError as err:
            self.message.emit(str(err))
            return
        self.host.stack.push(OpCommand(project.apply, inverse, f"Image {rv.STATUS_TEXT[status]}"))
        self._stale.flush()

    # -- navigation ------------------------------------------------------------------------
    def go_next_unreviewed(self) -> None:
        self._go(flagged=False)

    def go_next_flagged(self) -> None:
        self._go(flagged=True)

    def _go(self, *, flagged: bool) -> None:
        host = self.host
        target = rv.next_image(
            host.project, host.image_ids, host.current_id, flagged=flagged, threshold=self.threshold
        )
        if target is None:
            what = "flagged" if flagged else "needing review"
            self.message.emit(f"No other image {what}.")
            return
        host.set_current(target)

    def _image(self) -> Any:
        cid = self.host.current_id
        return None if cid is None else self.host.project.images.get(cid)
