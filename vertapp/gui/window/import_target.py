"""Where an import goes: the open project's folder, or a new project made for it.

Imports write into the project's folder (a labelled CT's volume and MIP, a landmark
folder's radiographs). An empty window has none, and used to answer "Save the project
first (File > Save project as…)" while Save as was greyed out with nothing to save: a
dead end. Now it asks for a new project folder right there (the Save as folder dialog)
and creates an empty project in it, which the import then fills. An import that adds
nothing (it failed, or was cancelled) takes that project away again (`take_back`), as
`vertapp import` does: it stayed open and on disk, an empty project that looked valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from vertapp.annotations.model import Project
from vertapp.gui.document.document import Document
from vertapp.gui.document.files import FolderBefore
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.save_dialog import ask_new_project_folder


def refuse_import(doc: Document, host: WindowHost, what: str) -> bool:
    """True, having said why, when the open project cannot take an import: read-only
    (another window's), or an untitled scan that must be saved first (Save as is
    enabled then, and keeps the scan). An empty window is no refusal: see `import_target`."""
    refusal = doc.write_refusal()  # read-only, or the folder taken over by another window
    if refusal:
        host.show_error(refusal)
        return True
    if doc.project.root is not None or not doc.image_ids:
        return False
    host.show_error(
        f"Save the project first (File > Save project as…): {what} into the project's folder"
    )
    return True


@dataclass(frozen=True)
class Target:
    """Where an import goes. `made`: the folder as it was before this import made its
    project there (None: the project was open already)."""

    made: FolderBefore | None = None


def import_target(
    doc: Document, host: WindowHost, files: FilesController, label_set: str, what: str
) -> Target | None:
    """The open project's folder; an empty window asks for a new project folder and
    creates an empty `label_set` project there (None: refused, cancelled, or the folder
    could not be written, said in words)."""
    if refuse_import(doc, host, what):
        return None
    if doc.project.root is not None:
        return Target()
    folder = ask_new_project_folder(host.dialog_parent())
    if folder is None:
        return None
    before = FolderBefore.of(folder)
    doc.set_project(Project(label_set=label_set), "")
    # Save as's own path: a folder holding a project is refused, a failure leaves none
    saved = files.save(folder, wait=True) and doc.project.root is not None
    return Target(before) if saved else None


def take_back(doc: Document, target: Target, hidden: bool) -> str:
    """After an import that added nothing: the project it made goes again, what its
    folder held before stays, and the window is empty as it was; the words that say so
    ("" when the project was not made for it, or holds images by now)."""
    made = target.made
    if made is None or doc.project.root != made.folder or doc.project.images:
        return ""
    doc.set_project(Project(), "")  # first let go of the folder: its lock and journal
    made.remove_new()
    where = made.folder.name if hidden else str(made.folder)
    if made.created is not None:
        return f"no project was created ({where} is not there)"
    return f"{where} was left as it was"


def say_failed(doc: Document, host: WindowHost, target: Target, reason: str) -> None:
    """An import that failed: the project made for it goes (`take_back`), said with why."""
    left = take_back(doc, target, hidden=not doc.keep_names)
    host.show_error("; ".join(w for w in (reason, left) if w))


def say_stopped(doc: Document, host: WindowHost, target: Target) -> None:
    """An import job that ended without a result (cancelled, or an error the job runner
    said): the project made for it goes, said in the status bar."""
    left = take_back(doc, target, hidden=not doc.keep_names)
    if left:
        host.show_status(f"Nothing imported: {left}", 15000)
