"""File > Recover kept edits… and the note that a project has kept edits nobody saw.

Journals set aside in .vertapp/kept/ (a recovery that failed, a damaged journal, a window
whose project was opened in another window) could only be replayed by hand. The menu
entry lists them (`annotations.kept_edits` says what each does to the project as saved
now and whether it can be replayed; `kept_words` says it), recovers one into the open
project as unsaved edits, or deletes one the user chose. A project opening with kept work
the user was not told of says so once, in the warning bar (no question: nothing is
urgent, and nothing is lost by waiting); not the safety copy this very window just made
of the other window's journal by opening the project anyway, nor a copy whose work is in
the project or in a later copy already. The note goes once a recover or delete made it
stale.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox

from vertapp.annotations.kept_edits import (
    KeptEdits,
    copies_of,
    delete_kept,
    describe_kept,
    recover_kept,
)
from vertapp.annotations.kept_words import (
    MENU,
    delete_words,
    detail_words,
    notice_words,
    recovered_words,
    summary_words,
)
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
        self.notice = ""  # the warning bar's note of kept work shown at the open ("": none)

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
    def tell_new(self, *, remember: bool = True) -> None:
        """A project just opened: kept work the user has not been told of, once. Each
        folder told of is remembered (and one with nothing to tell: its work is in the
        project or a later copy); the safety copy this window made by opening the project
        anyway is neither told nor remembered: another window told later must hear of it
        if the window it was taken from crashes before setting its work aside. Not
        `remember`: said, but no one was there to read it (an unattended run kept the
        offered edits for later): the next window says it again."""
        root = self.doc.project.root
        self.notice = ""
        if root is None or self.doc.read_only:  # read-only: not this window's to recover
            return
        kept = kept_journals(root)
        key = f"{TOLD_KEY}/{source_key(root)}"
        value = settings().value(key, [])  # QSettings gives a one-item list as a string
        told = set(value if isinstance(value, list) else [value] if value else [])
        made_here = {self.doc.safety_copy.name} if self.doc.safety_copy else set()
        new = {k.name for k in kept} - told - made_here
        tell = [e for e in self._describe(root, new) if e.worth_telling] if new else []
        if tell:
            self.notice = notice_words(tell)
            self.host.show_warnings(HEADING, [self.notice])
            self.host.show_status(self.notice, 15000)
        if remember and (new or told):
            settings().setValue(key, [k.name for k in kept if k.name in told | new])

    def _describe(self, root: Path, names: set[str] | None = None) -> list[KeptEdits]:
        """Describe the kept folders (each is replayed once, in memory: a big project
        takes a moment, so the cursor says so)."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return describe_kept(root, names)
        finally:
            QGuiApplication.restoreOverrideCursor()

    def _drop_notice(self) -> None:
        """A recover or delete made the opening note stale: it goes (only this one: the
        bar may hold another warning since)."""
        # WindowHost says nothing of what the bar shows; the window's bar does (a host
        # without one: the note is taken to be still shown).
        bar = getattr(self.host, "warning_bar", None)
        if self.notice and self.notice in getattr(bar, "lines", [self.notice]):
            self.host.show_warnings("", [])
        self.notice = ""

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
        self.entries = self._describe(root)
        if not self.entries:
            self.host.show_status("This project has no kept edits", 5000)
            self.update_action()
            return
        self.dialog = KeptEditsDialog(
            self.host.dialog_parent(), self._rows(), self._recover, self._delete
        )
        self.dialog.open()

    def _rows(self) -> list[KeptRow]:
        names = not hide_identifiers()  # image names can carry a patient's name
        return [
            KeptRow(summary_words(e, names), detail_words(e, names), e.offered)
            for e in self.entries
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
            self.doc.adopt_recovered_kept(recovery.project)
        except (VertAppError, OSError) as err:  # the project stays as it was
            self.host.show_error(f"The kept edits were not recovered: {_words(err)}")
            return False
        self.host.update_title()
        self._drop_notice()
        said = recovered_words(entry, not hide_identifiers())
        self.host.show_status(said, 15000)
        if recovery.notes:  # recovered on the previous version: say which
            self.host.show_error("\n".join(recovery.notes))
        self._offer_delete(root, entry, said)
        return True

    def _unsaved_refusal(self) -> str:
        if not self.doc.modified:
            return ""
        return (
            "The open project has unsaved edits: save them (or undo them) first. Kept edits "
            "are recovered onto the project as saved, and would replace them."
        )

    def _offer_delete(self, root: Path, entry: KeptEdits, said: str) -> None:
        """After a recovery (`said`: its status line): the kept copy goes only if the user
        says so (and the earlier safety copies of the same work with it: kept alone, they
        would be offered)."""
        words = {Button.Yes: "Delete the kept copy", Button.No: "Keep it"}
        text = (
            "The kept edits are in the open project now, not saved yet: File > Save keeps "
            f"them. Delete the kept copy? Kept, it stays listed in {MENU} for later."
        )
        if self.host.ask("Kept edits recovered", text, words, Button.No) == Button.Yes:
            folders = [entry.folder, *copies_of(root, entry.folder)]
            self._remove(root, folders, f"{said} The kept copy is deleted.")

    def _delete(self, index: int) -> bool:
        """Delete the chosen kept edits once the user confirms; True when none are left."""
        root, entry = self.doc.project.root, self.entries[index]
        if root is None:
            return True
        copies = copies_of(root, entry.folder)
        text = delete_words(entry, len(copies), not hide_identifiers())
        words = {Button.Yes: "Delete", Button.No: "Keep"}
        if self.host.ask("Delete kept edits?", text, words, Button.No) != Button.Yes:
            return False
        removed = self._remove(root, [entry.folder, *copies])
        if not removed:
            return False
        self._drop_notice()
        self.entries = self._describe(root)  # what the others say may change with it
        if self.dialog is not None:
            self.dialog.set_rows(self._rows())
        return not self.entries

    def _remove(self, root: Path, folders: list[Path], said: str = "Kept edits deleted") -> bool:
        """Delete `folders` (the chosen one first), then say `said`; whether the chosen
        one went."""
        deleted = 0
        try:
            for folder in folders:
                delete_kept(root, folder)
                deleted += 1
        except (VertAppError, OSError) as err:
            self.host.show_error(f"The kept edits could not be deleted ({_words(err)})")
            return deleted > 0
        finally:
            self.update_action()
        self.host.show_status(said, 15000)
        return True


def _words(err: Exception) -> str:
    """An error in words; an OSError's without its path (the folder may name a patient)."""
    return (err.strerror or str(err)) if isinstance(err, OSError) else str(err)
