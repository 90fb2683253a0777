"""The never-lose-work questions of the window: recover, discard, restore a backup.

Asked when a scan or project is opened after VertApp did not close normally. What can
be offered comes from the core (`annotations.recovery.recovery_plan`, the document's
untitled autosave); nothing is deleted that the user did not choose to discard, and a
recovery that fails, or a journal too damaged to offer, keeps the edits (in
.vertapp/kept/) and says so; the project then opens as last saved, journalled again.
Kept edits are listed, recovered and deleted by `kept` (File > Recover kept edits…).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from vertapp.annotations.recovery import (
    DAMAGED,
    discard_journal,
    recovery_plan,
    restore_backup,
    set_aside_journal,
)
from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.image_controller import ImageController
from vertapp.gui.window.kept_edits_prompts import KeptEditsPrompts
from vertapp.gui.window.names import anonymous, shown_path

log = logging.getLogger(__name__)


class RecoveryPrompts:
    def __init__(
        self, doc: Document, host: WindowHost, images: ImageController, open_project: Any
    ) -> None:
        self.doc, self.host, self.images, self.open_project = doc, host, images, open_project
        self.kept = KeptEditsPrompts(doc, host)  # File > Recover kept edits…

    def offer_untitled_recovery(self, title: str) -> None:
        """An untitled scan just opened: its autosaved edits from a killed session."""
        saved = self.doc.untitled_recovery()
        if saved is None:
            return
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = self.host.ask(
            "Recover unsaved edits?",
            f"Unsaved annotations of {title} from a previous session were found. Recover them?",
            yes_no,
            None,
        )
        if answer == QMessageBox.StandardButton.Yes:
            current = self.doc.current_id
            self.doc.adopt_untitled(saved)
            self.doc.set_current(current if current in self.doc.image_ids else None)
            self.host.update_title()

    def offer_recovery(self) -> None:
        """A project just opened: its journal of unsaved edits (recover or discard), then
        kept edits the user was not told of yet (said once, see KeptEditsPrompts)."""
        root = self.doc.project.root
        if root is not None and self.doc.has_recovery():
            self._offer_journal(root)
        self.kept.tell_new()

    def _offer_journal(self, root: Path) -> None:
        plan = recovery_plan(root)
        if plan.kind == DAMAGED:  # nothing to ask: keep it and say so
            why = anonymous(plan.message, root.name)
            self._not_recovered(root, why, lambda: set_aside_journal(root))
            return
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = self.host.ask(
            "Recover unsaved edits?",
            anonymous(plan.message, root.name) or "Unsaved edits were found. Recover them?",
            yes_no,
            None,  # unattended: decide nothing, keep the journal for a person
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._recover(root)
        elif answer == QMessageBox.StandardButton.No:
            self._discard(root)

    def _recover(self, root: Path) -> None:
        try:
            notes = self.doc.recover()
        except Exception as err:  # any failure at all: see below
            # Any failure, even one the core did not foresee, must leave the project open
            # as last saved and journalled: raised from here, the open never finished and
            # later edits went unprotected. The journal is kept: by the core, which says
            # where, or else by the next journal's attach (store._keep_unreplayed).
            if not isinstance(err, (VertAppError, OSError)):  # a bug: keep its traceback
                log.exception("recovering unsaved edits failed")
            self._not_recovered(root, f"The unsaved edits could not be recovered ({err})")
            return
        self.host.show_status("Recovered unsaved edits", 5000)
        if notes:  # recovered in doubt: say which version the edits went over
            self.host.show_error("\n".join(anonymous(n, root.name) for n in notes))
        self.host.update_title()

    def _not_recovered(
        self, root: Path, why: str, set_aside: Callable[[], str] | None = None
    ) -> None:
        """Both versions stay: project.json as saved, the edits set aside (in words)."""
        try:
            where = set_aside() if set_aside is not None else ""
        except OSError as err:
            where = f"it could not be kept aside ({err.strerror or err}) and stays where it is"
        self.doc.recovery_failed()
        text = f"{why}; {where}" if where else why
        project = anonymous(root.name, root.name, "the project")
        self.host.show_error(f"{text}; {project} opens as last saved.")

    def _discard(self, root: Path) -> None:
        # Removed here first to hear what could not be removed (a read-only folder): the
        # document's own removal then finds nothing left, or the same problem again.
        problem = discard_journal(root)
        try:
            self.doc.discard_recovery()
        except (VertAppError, OSError) as err:
            problem = problem or str(err)
        if problem:
            self.host.show_error(problem)

    def open_backup_only(self, path: str) -> None:
        """A folder whose project.json is gone but its .bak is there: offer the backup."""
        plan = recovery_plan(path)
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        text = anonymous(plan.message, Path(path).name, "This folder")
        answer = self.host.ask("Restore the previous version?", text, yes_no, None)
        if answer != QMessageBox.StandardButton.Yes:
            self.host.show_status(f"{shown_path(path)}: left as it is", 10000)
            self.images.report_loaded(False)
            return
        try:
            restore_backup(path)
        except (VertAppError, OSError) as err:
            self.host.show_error(str(err))
            self.images.report_loaded(False)
            return
        self.open_project(path)
