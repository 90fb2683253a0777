"""File > Import labelled CT…: a CT and its label map become one image of the open project.

The slow half (`prepare_case_job`: read, resample, MIP, trace) runs in the window's job
runner with progress and cancel; it touches no `Project`. The result is added here on the
GUI thread, where the project's observers live, and the project is then saved as usual.
An empty window first gets a new project folder to import into (`import_target.py`).
A case that fails leaves none of its files in the project (`try_prepare_case_job`), and
one that failed or was cancelled leaves no project made for it (`import_target.take_back`).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QObject

from vertapp.ctimport import (
    CaseReport,
    CaseSpec,
    FailedCase,
    PreparedCase,
    add_case,
    find_cases,
    image_name,
    try_prepare_case_job,
    unique_name,
)
from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.import_run import ImportRun
from vertapp.gui.window.import_target import import_target, refuse_import
from vertapp.gui.window.job_runner import JobRunner

WRITTEN = "an imported CT is written"
log = logging.getLogger(__name__)


class ImportController(QObject):
    def __init__(
        self, doc: Document, host: WindowHost, jobs: JobRunner, files: FilesController
    ) -> None:
        super().__init__(jobs)
        self.doc, self.host, self.jobs, self.files = doc, host, jobs, files
        self.run = ImportRun(doc, host, jobs)  # its job, and the project made for it

    def ask_import(self) -> None:
        """The dialog, then `start` (which asks an empty window for a project folder)."""
        from vertapp.gui.window.import_dialog import ImportCTDialog

        if refuse_import(self.doc, self.host, WRITTEN):  # before the user fills the dialog
            return
        dialog = ImportCTDialog(self.host.dialog_parent(), names_hidden=not self.doc.keep_names)
        if dialog.exec() == ImportCTDialog.DialogCode.Accepted:
            self.start(dialog.spec())

    def start(self, spec: CaseSpec) -> bool:
        """Import one case in the background; False (with a message) if it cannot start.

        While names are hidden (View > Hide names and paths, `doc.keep_names` off) the
        case gets File > Open's neutral name, unless the user typed one: the CT's file
        name was in the project's files, its image list and the status bar."""
        if not str(spec.ct).strip(".") or not str(spec.labels).strip("."):
            self.host.show_error("Choose a CT and its label file or folder")
            return False
        missing = [p for p in (spec.ct, spec.labels) if not p.exists()]
        if missing:  # said before an empty window makes a project for it
            self.host.show_error(f"{missing[0]}: no such file or folder")
            return False
        dataset = dataset_words(spec, hidden=not self.doc.keep_names)
        if dataset:  # a whole dataset chosen as "the CT": it read "no DICOM files found"
            self.host.show_error(dataset)
            return False
        target = import_target(self.doc, self.host, self.files, "vertebrae", WRITTEN)
        if target is None:
            return False
        root = self.doc.project.root
        assert root is not None  # import_target made sure
        spec = replace(spec, hide_names=not self.doc.keep_names)
        name = unique_name(self.doc.project, image_name(spec))
        return self.run.start(
            target,
            lambda: try_prepare_case_job(spec, root, name),
            f"Importing {name}…",
            self._on_done,
        )

    def _on_done(self, outcome: PreparedCase | FailedCase) -> None:
        self.run.ended()
        if isinstance(outcome, FailedCase):
            self.run.failed(failed_words(outcome))
        else:
            self._on_prepared(outcome)

    def _on_prepared(self, prepared: PreparedCase) -> None:
        report = add_case(self.doc.project, prepared)
        # The image list is set up on reset; a new image joins it without touching undo.
        self.doc.image_ids.append(report.image_id)
        self.doc.reset.emit()
        self.doc.images_added_outside_undo()
        self.doc.set_current(report.image_id)
        for note in report.notes:  # information only: the log, and the summary below
            log.info("%s", note)
        # said when the save has ended: shown before it, "Saved" replaced it unread
        self.files.save(say=summary(report))
        if report.warnings:  # what the user must look at: in view until dismissed
            self.host.show_error("; ".join(report.warnings))


def dataset_words(spec: CaseSpec, hidden: bool) -> str:
    """Why a folder chosen as the CT is refused when it holds a dataset (several CTs with
    their label maps: VerSe's layout, name pairs), and what to do; "" otherwise."""
    if not spec.ct.is_dir():
        return ""
    try:
        cases = find_cases(spec.ct).cases
    except VertAppError:
        return ""
    if len(cases) < 2 and not (cases and cases[0].ct != spec.ct):
        return ""
    folder = "this folder" if hidden else str(spec.ct)
    return (
        f"{folder} holds a dataset of {len(cases)} labelled CT(s), not one CT: import it "
        "whole with `vertapp import FOLDER --out PROJECT` (then File > Open the project), "
        "or choose one CT file and its label map here"
    )


def failed_words(failed: FailedCase) -> str:
    """'ct-1a2b3c4d5e6f not imported (none of its files kept): the CT: corrupt or …'."""
    return f"{failed.name} not imported (none of its files kept): {failed.reason}"


def summary(report: CaseReport) -> str:
    """'Imported sub-verse006: L4, L5 (left out: transitional: L6; note: …)'."""
    levels = ", ".join(report.levels) or "no vertebra T1..L5"
    extra = [f"left out: {reason}: {', '.join(v)}" for reason, v in report.left_out.items()]
    extra += [f"note: {note}" for note in report.notes]
    return f"Imported {report.name}: {levels}" + (f" ({'; '.join(extra)})" if extra else "")
