"""File > Recover kept edits… and the note that a project has kept edits nobody saw.

Journals set aside in .vertapp/kept/ (a recovery that failed, a damaged journal, a window
whose project was opened in another window) could only be replayed by hand. The menu
entry lists them (`annotations.kept_edits` says what each holds and whether it can be
replayed), recovers one into the open project as unsaved edits, or deletes one the user
chose. A project opening with kept folders the user was not told of says so once, in the
warning bar (no question: nothing is urgent, and nothing is lost by waiting).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox

from vertapp.annotations.kept_edits import (
    KeptEdits,
    delete_kept,
    describe_kept,
    detail_words,
    kept_time,
    notice_words,
    recover_kept,
    summary_words,
    when_words,
)
from vertapp.annotations.model import Project
from vertapp.annotations.recovery import kept_journals
from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.document.files import source_key
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.kept_edits_dialog import KeptEditsDialog, KeptRow
from vertapp.gui.window.names import hide_identifiers, settings

TIP = "Recover or delete edits set aside in the project's .vertapp/kept/ folder"
NONE_TIP = "The open project has no kept edits (edits set aside after a failed recovery)"
HEADING = "Kept edits"
TOLD_KEY = "kept_told"  # per project (a digest of its path): kept folders already told of
Button = QMessageBox.StandardButton


class KeptEditsPrompts:
    def __init__(self, doc: Document, host: WindowHost) -> None:
        self.doc, self.host = doc, host
        self.action: QAction | None = None
        self.dialog: KeptEditsDialog | None = None
        self.entries: list[KeptEdits] = []

    # ------------------------------------------------------------ the menu entry
    def watch(self, action: QAction, menu: QMenu) -> None:
        """Keep `action` enabled while the open project has kept edits (asked when a
        project opens and each time the menu opens: a failed recovery adds one)."""
        self.action = action
        menu.aboutToShow.connect(self.update_action)
        self.doc.reset.connect(self.update_action)
        self.update_action()

    def update_action(self) -> None:
        if self.action is None:
            return
        root = self.doc.project.root
        has = root is not None and bool(kept_journals(root))
        self.action.setEnabled(has)
        self.action.setToolTip(TIP if has else NONE_TIP)
        self.action.setStatusTip(TIP if has else NONE_TIP)

    # ------------------------------------------------------------ told once
    def tell_new(self) -> None:
        """A project just opened: kept edits the user has not been told of, once."""
        root = self.doc.project.root
        if root is None or self.doc.read_only:  # read-only: not this window's to recover
            return
        kept = kept_journals(root)
        key = f"{TOLD_KEY}/{source_key(root)}"
        value = settings().value(key, [])  # QSettings gives a one-item list as a string
        told = set(value if isinstance(value, list) else [value] if value else [])
        new = [k for k in kept if k.name not in told]
        if new:
            line = notice_words(len(new), kept_time(new[-1]))
            self.host.show_warnings(HEADING, [line])
            self.host.show_status(line, 15000)
        if new or told:
            settings().setValue(key, [k.name for k in kept])  # only folders still there

    # ------------------------------------------------------------ the dialog
    def ask(self) -> None:
        """File > Recover kept edits…: the list, unless this window may not write."""
        root = self.doc.project.root
        if root is None:
            return
        refusal = self.doc.write_refusal()
        if refusal:
            self.host.show_error(
                f"{refusal} Kept edits are recovered only where they can be saved."
            )
            return
        if not self._load(root):
            self.host.show_status("This project has no kept edits", 5000)
            self.update_action()
            return
        self.dialog = KeptEditsDialog(
            self.host.dialog_parent(), self._rows(), self._recover, self._delete
        )
        self.dialog.open()

    def _load(self, root: Path) -> bool:
        """Describe the kept folders (each is replayed once, in memory: a big project
        takes a moment, so the cursor says so)."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.entries = describe_kept(root)
        finally:
            QGuiApplication.restoreOverrideCursor()
        return bool(self.entries)

    def _rows(self) -> list[KeptRow]:
        names = not hide_identifiers()  # image names can carry a patient's name
        return [
            KeptRow(summary_words(e, names), detail_words(e), e.recoverable) for e in self.entries
        ]

    def _recover(self, index: int) -> bool:
        """Recover the chosen kept edits into the open project; True when done."""
        root, entry = self.doc.project.root, self.entries[index]
        if root is None:
            return True
        refusal = self.doc.write_refusal() or self._unsaved_refusal()
        if refusal:
            self.host.show_error(refusal)
            return False
        try:
            recovery = recover_kept(root, entry.folder)
            self._show_recovered(root, recovery.project)
        except (VertAppError, OSError) as err:  # the project stays as it was
            self.host.show_error(f"The kept edits were not recovered: {_words(err)}")
            return False
        self.host.update_title()
        self.host.show_status(
            f"Recovered {recovery.edits} kept edit{'s' if recovery.edits != 1 else ''} "
            "(not saved yet: File > Save keeps them)",
            15000,
        )
        if recovery.notes:  # recovered on the previous version: say which
            self.host.show_error("\n".join(recovery.notes))
        self._offer_delete(root, entry)
        return True

    def _unsaved_refusal(self) -> str:
        if not self.doc.modified:
            return ""
        return (
            "The open project has unsaved edits: save them (or undo them) first. Kept edits "
            "are recovered onto the project as saved, and would replace them."
        )

    def _show_recovered(self, root: Path, project: Project) -> None:
        """The recovered project in the window, journalled in its folder as before."""
        current = self.doc.current_id
        self.doc.open_project(root, project)  # the same folder: its lock stays this window's
        if self.doc.has_recovery():  # this window's own journal: nothing unsaved in it
            self.doc.discard_recovery()  # (refused otherwise), so the new one replaces it
        # Unsaved until saved, with nothing to undo: as after a crash recovery (the
        # stack's clean state is out of reach until a save sets it).
        self.doc.images_added_outside_undo()
        self.doc.set_current(current if current in self.doc.image_ids else None)

    def _offer_delete(self, root: Path, entry: KeptEdits) -> None:
        """After a recovery: the kept copy goes only if the user says so."""
        words = {Button.Yes: "Delete the kept copy", Button.No: "Keep it"}
        text = (
            "The kept edits are in the open project now, not saved yet: File > Save keeps "
            "them. Delete the kept copy? Kept, it stays under File > Recover kept edits…."
        )
        if self.host.ask("Kept edits recovered", text, words, Button.No) == Button.Yes:
            self._remove(root, entry)

    def _delete(self, index: int) -> bool:
        """Delete the chosen kept edits once the user confirms; True when none are left."""
        root, entry = self.doc.project.root, self.entries[index]
        if root is None:
            return True
        edits = f"{entry.edits} edit{'s' if entry.edits != 1 else ''}"
        text = (
            f"Delete the edits kept {when_words(entry.kept_at)} ({edits})? They cannot be "
            "recovered afterwards."
        )
        words = {Button.Yes: "Delete", Button.No: "Keep"}
        if self.host.ask("Delete kept edits?", text, words, Button.No) != Button.Yes:
            return False
        if not self._remove(root, entry):
            return False
        self.entries.pop(index)
        if self.dialog is not None:
            self.dialog.set_rows(self._rows())
        return not self.entries

    def _remove(self, root: Path, entry: KeptEdits) -> bool:
        try:
            delete_kept(root, entry.folder)
        except (VertAppError, OSError) as err:
            self.host.show_error(f"The kept edits could not be deleted ({_words(err)})")
            return False
        finally:
            self.update_action()
        self.host.show_status("Kept edits deleted", 5000)
        return True


def _words(err: Exception) -> str:
    """An error in words; an OSError's without its path (the folder may name a patient)."""
    return (err.strerror or str(err)) if isinstance(err, OSError) else str(err)
