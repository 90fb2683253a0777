"""File > Import labelled CT…: a CT and its label map become one image of the open project.

The slow half (`prepare_case_job`: read, resample, MIP, trace) runs in the window's job
runner with progress and cancel; it touches no `Project`. The result is added here on the
GUI thread, where the project's observers live, and the project is then saved as usual.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from vertapp.ctimport import CaseSpec, add_case, case_name, prepare_case_job, unique_name
from vertapp.gui.document.document import Document
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.job_runner import JobRunner


class ImportController(QObject):
    def __init__(
        self, doc: Document, host: WindowHost, jobs: JobRunner, files: FilesController
    ) -> None:
        super().__init__(jobs)
        self.doc, self.host, self.jobs, self.files = doc, host, jobs, files

    def ask_import(self) -> None:
        """The dialog, then `start`; an untitled project must have a folder first."""
        from vertapp.gui.window.import_dialog import ImportCTDialog

        if self._needs_folder():
            return
        dialog = ImportCTDialog(self.host.dialog_parent(), self.doc.project.root)
        if dialog.exec() == ImportCTDialog.DialogCode.Accepted:
            self.start(dialog.spec())

    def _needs_folder(self) -> bool:
        return refuse_untitled(self.doc, self.host, "an imported CT is written")

    def start(self, spec: CaseSpec) -> bool:
        """Import one case in the background; False (with a message) if it cannot start."""
        root = self.doc.project.root
        if root is None or self.doc.read_only:
            return not self._needs_folder()
        if not str(spec.ct).strip(".") or not str(spec.labels).strip("."):
            self.host.show_error("Choose a CT and its label file or folder")
            return False
        name = unique_name(self.doc.project, case_name(spec.ct))
        worker = self.jobs.run(
            lambda: prepare_case_job(spec, root, name), f"Importing {name}…", self._on_prepared
        )
        return worker is not None

    def _on_prepared(self, prepared: Any) -> None:
        report = add_case(self.doc.project, prepared)
        # The image list is set up on reset; a new image joins it without touching undo.
        self.doc.image_ids.append(report.image_id)
        self.doc.reset.emit()
        self.doc.images_added_outside_undo()
        self.doc.set_current(report.image_id)
        self.files.save()
        levels = ", ".join(report.levels) or "no vertebra T1..L5"
        self.host.show_status(f"Imported {report.name}: {levels}", 15000)
        if report.warnings:
            self.host.show_error("; ".join(report.warnings))


def refuse_untitled(doc: Document, host: WindowHost, what: str) -> bool:
    """True, having said so in words, when the project is untitled or read-only: imports
    write into the project's folder, which an untitled project does not have yet and a
    read-only one is another window's."""
    if doc.read_only:
        host.show_error(doc.read_only)
        return True
    if doc.project.root is not None:
        return False
    host.show_error(
        f"Save the project first (File > Save project as…): {what} into the project's folder"
    )
    return True
