"""File > Import landmark radiographs…: a landmark dataset folder (the AASCE layout:
landmarks.csv, filenames.csv, images/) joins the open, saved project, one body polygon per
vertebra with its level (`vertapp.xray.landmark_import`, the CLI's `vertapp xray import`).

The images are read, checked and copied in the window's job runner (progress, Cancel); the
records and polygons are added on the GUI thread, and the project is saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.import_controller import refuse_untitled
from vertapp.gui.window.job_runner import JobRunner
from vertapp.xray.landmark_import import add_landmarks, prepare_landmarks_job, vocabulary_of

TIP = "A folder of radiographs with vertebra corner landmarks (AASCE layout): one body each"


class LandmarkImport(QObject):
    def __init__(
        self, doc: Document, host: WindowHost, jobs: JobRunner, files: FilesController
    ) -> None:
        super().__init__(jobs)
        self.doc, self.host, self.jobs, self.files = doc, host, jobs, files

    def ask_import(self) -> None:
        if self._refused():
            return
        folder = QFileDialog.getExistingDirectory(
            self.host.dialog_parent(),
            "Landmark folder (landmarks.csv, filenames.csv, images/)",
            str(self.doc.project.root),
        )
        if folder:
            self.start(Path(folder))

    def _refused(self) -> bool:
        return refuse_untitled(self.doc, self.host, "the radiographs are copied")

    def start(self, folder: Path) -> bool:
        """Import in the background; False (with a message) if it cannot start."""
        root = self.doc.project.root
        if root is None or self.doc.read_only:
            return not self._refused()
        try:
            vocabulary = vocabulary_of(self.doc.project)
        except VertAppError as err:
            self.host.show_error(str(err))
            return False
        taken = {rec.file_name for rec in self.doc.project.images.values()}
        worker = self.jobs.run(
            lambda: prepare_landmarks_job(folder, root, taken, vocabulary),
            "Importing landmark radiographs…",
            self._on_prepared,
        )
        return worker is not None

    def _on_prepared(self, prepared: Any) -> None:
        if self.doc.modified:  # a clean journal: the import's one restart keeps nothing aside
            self.files.save(wait=True)
        report = add_landmarks(self.doc.project, prepared)
        # The image list is set up on reset; new images join it without touching undo.
        self.doc.image_ids.extend(report.image_ids)
        self.doc.reset.emit()
        self.doc.images_added_outside_undo()
        if report.image_ids:
            self.doc.set_current(report.image_ids[0])
        self.files.save()
        self.host.show_status(
            f"Imported {len(report.image_ids)} radiographs with {report.n_vertebrae} "
            "vertebral bodies",
            15000,
        )
        if report.skipped:
            self.host.show_error(f"Not imported: {'; '.join(report.skipped)}")
