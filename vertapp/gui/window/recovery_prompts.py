"""The never-lose-work questions of the window: recover, discard, restore a backup.

Asked when a scan or project is opened after VertApp did not close normally. What can
be offered comes from the core (`annotations.recovery.recovery_plan`, the document's
untitled autosave); nothing is deleted that the user did not choose to discard, and a
recovery that fails keeps the edits (in .vertapp/kept/) and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from vertapp.annotations.recovery import recovery_plan, restore_backup
from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.image_controller import ImageController
from vertapp.gui.window.names import anonymous, shown_path


class RecoveryPrompts:
    def __init__(
        self, doc: Document, host: WindowHost, images: ImageController, open_project: Any
    ) -> None:
        self.doc, self.host, self.images, self.open_project = doc, host, images, open_project

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
        """A project just opened with a journal of unsaved edits: recover or discard."""
        root = self.doc.project.root
        if root is None or not self.doc.has_recovery():
            return
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = self.host.ask(
            "Recover unsaved edits?",
            anonymous(recovery_plan(root).message, root.name)
            or "Unsaved edits were found. Recover them?",
            yes_no,
            None,  # unattended: decide nothing, keep the journal for a person
        )
        if answer == QMessageBox.StandardButton.Yes:
            try:
                notes = self.doc.recover()
            except (VertAppError, OSError) as err:
                # Both versions stay: project.json as saved, the edits set aside in words.
                self.doc.recovery_failed()
                self.host.show_error(
                    f"The unsaved edits could not be recovered ({err}); "
                    f"{anonymous(root.name, root.name, 'the project')} opens as last saved."
                )
                return
            self.host.show_status("Recovered unsaved edits", 5000)
            if notes:  # recovered in doubt: say which version the edits went over
                self.host.show_error("\n".join(anonymous(n, root.name) for n in notes))
            self.host.update_title()
        elif answer == QMessageBox.StandardButton.No:
            self.doc.discard_recovery()

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
