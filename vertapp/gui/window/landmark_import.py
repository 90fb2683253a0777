"""File > Import landmark radiographs…: a landmark dataset folder (the AASCE layout:
landmarks.csv, filenames.csv, images/) joins the open, saved project, one body polygon per
vertebra with its level (`vertapp.xray.landmark_import`, the CLI's `vertapp xray import`).

The images are read, checked and copied in the window's job runner (progress, Cancel); the
records and polygons are added on the GUI thread, and the project is saved. An empty
window first gets a new radiograph project (vertebra parts, as `vertapp xray import`
makes) in a folder the user names (`import_target.py`); an import that failed or was
cancelled takes that project away again (`import_target.take_back`), as File > Import
labelled CT… does: it stayed open and on disk, an empty project that looked valid.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.import_run import ImportRun
from vertapp.gui.window.import_target import import_target, refuse_import
from vertapp.gui.window.job_runner import JobRunner
from vertapp.gui.window.last_folder import LANDMARKS, last_folder, remember_choice
from vertapp.xray.landmark_import import (
    FailedLandmarks,
    PreparedLandmarks,
    add_landmarks,
    try_prepare_landmarks_job,
    vocabulary_of,
)

TIP = "A folder of radiographs with vertebra corner landmarks (AASCE layout): one body each"
COPIED = "the radiographs are copied"
NEW_PROJECT_LABELS = "parts"  # an empty window's new project: as `vertapp xray import`
WARNING_HEADING = "Check these imported radiographs (numbered as rows of landmarks.csv):"


class LandmarkImport(QObject):
    def __init__(
        self, doc: Document, host: WindowHost, jobs: JobRunner, files: FilesController
    ) -> None:
        super().__init__(jobs)
        self.doc, self.host, self.jobs, self.files = doc, host, jobs, files
        self.run = ImportRun(doc, host, jobs)  # its job, and the project made for it

    def ask_import(self) -> None:
        """The folder, then `start` (which asks an empty window for a project folder)."""
        if refuse_import(self.doc, self.host, COPIED):  # before the user looks for it
            return
        folder = QFileDialog.getExistingDirectory(
            self.host.dialog_parent(),
            "Landmark folder (landmarks.csv, filenames.csv, images/)",
            last_folder(LANDMARKS),
        )
        if folder:
            remember_choice(LANDMARKS, folder)
            self.start(Path(folder))

    def start(self, folder: Path) -> bool:
        """Import in the background; False (with a message) if it cannot start."""
        if not folder.is_dir():  # said before an empty window makes a project for it
            self.host.show_error(f"{folder}: no such folder")
            return False
        target = import_target(self.doc, self.host, self.files, NEW_PROJECT_LABELS, COPIED)
        if target is None:
            return False
        root = self.doc.project.root
        assert root is not None  # import_target made sure
        try:  # an open project's labels (a new one is made with parts)
            vocabulary = vocabulary_of(self.doc.project)
        except VertAppError as err:
            self.host.show_error(str(err))
            return False
        taken = {rec.file_name for rec in self.doc.project.images.values()}
        return self.run.start(
            target,
            lambda: try_prepare_landmarks_job(folder, root, taken, vocabulary),
            "Importing landmark radiographs…",
            self._on_done,
        )

    def _on_done(self, outcome: PreparedLandmarks | FailedLandmarks) -> None:
        self.run.ended()
        if isinstance(outcome, FailedLandmarks):
            self.run.failed(outcome.reason)
        else:
            self._on_prepared(outcome)

    def _on_prepared(self, prepared: PreparedLandmarks) -> None:
        if self.doc.modified:  # a clean journal: the import's one restart keeps nothing aside
            self.files.save(wait=True)
        report = add_landmarks(self.doc.project, prepared)
        # The image list is set up on reset; new images join it without touching undo.
        self.doc.image_ids.extend(report.image_ids)
        self.doc.reset.emit()
        self.doc.images_added_outside_undo()
        if report.image_ids:
            self.doc.set_current(report.image_ids[0])
        # said when the save has ended: shown before it, "Saved" replaced it unread
        self.files.save(
            say=f"Imported {len(report.image_ids)} radiographs with {report.n_vertebrae} "
            "vertebral bodies"
        )
        # the films' read doubts stay in view (the warning bar), as an opened scan's do;
        # they name rows, never files: a dataset's file names may be the patients'
        if report.warnings:  # none: the bar keeps what it shows
            self.host.show_warnings(WARNING_HEADING, report.warnings)
        if report.skipped:
            self.host.show_error(f"Not imported: {'; '.join(report.skipped)}")
