"""Where a new project is saved: a folder the user names, starting somewhere sensible.

The folder dialog of "Save as" could not create a folder from a typed name ("Directory
not found") and started in the current directory (often the source checkout). Here a
save dialog takes the new folder's name, starting in the folder the last project was
saved in, else the user's Documents (else home); the project is written into a new
folder of that name.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from vertapp.gui.window.names import settings

LAST_PARENT_KEY = "projects/last_parent"
SUGGESTED_NAME = "spine_project"  # never the scan's file name: it may name the patient


def start_folder() -> Path:
    """The last project's parent folder if it still exists, else Documents, else home."""
    last = str(settings().value(LAST_PARENT_KEY, "", type=str) or "")
    if last and Path(last).is_dir():
        return Path(last)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


def free_name(parent: Path, name: str = SUGGESTED_NAME) -> str:
    """`name`, or `name_2`, `name_3`... so the suggestion is never an existing folder."""
    candidate, k = name, 1
    while (parent / candidate).exists():
        k += 1
        candidate = f"{name}_{k}"
    return candidate


def ask_new_project_folder(parent: QWidget) -> Path | None:
    """The folder to create for the project (None: cancelled)."""
    start = start_folder()
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Save project as a new folder (type its name)",
        str(start / free_name(start)),
        "",
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    if not path:
        return None
    folder = Path(path)
    settings().setValue(LAST_PARENT_KEY, str(folder.parent))
    return folder


__all__ = ["ask_new_project_folder", "free_name", "start_folder"]
