"""The folder each kind of file dialog starts in: where the user last chose such a thing.

The window's open, import and export dialogs started in the working folder (often the
program's own), so every open began with a walk back to the data. The last folder is
kept per kind in the app settings, as the recent-files list keeps the paths opened: only
a folder on a path the user chose, never a name read from a file (a DICOM patient name).
A chosen file or folder keeps the folder it lies in: the next choice is often beside
it (the next patient's scan), and a chosen DICOM folder's own name, often the
patient's, is not stored again.
"""

from __future__ import annotations

from pathlib import Path

from vertapp.gui.window.names import settings
from vertapp.gui.window.save_dialog import LAST_PARENT_KEY, start_folder

SCANS = "scans"  # CT volumes, DICOM folders, and what Import labelled CT reads
RADIOGRAPHS = "radiographs"
PROJECTS = "projects"  # shared with Save as: both the parent of a project folder
LANDMARKS = "landmarks"
EXPORTS = "exports"  # COCO, VIA, 3D labels


def _key(kind: str) -> str:
    return LAST_PARENT_KEY if kind == PROJECTS else f"last_folder/{kind}"


def last_folder(kind: str) -> str:
    """Where a `kind` dialog starts: the folder last used for it while it still exists,
    else Documents (else home), never the working folder."""
    value = str(settings().value(_key(kind), "", type=str) or "")
    return value if value and Path(value).is_dir() else str(start_folder())


def remember_choice(kind: str, chosen: str | Path) -> None:
    """The user chose `chosen` (a file or folder) in a `kind` dialog: start beside it."""
    remember_folder(kind, Path(chosen).parent)


def remember_folder(kind: str, folder: str | Path) -> None:
    """Start the next `kind` dialog in `folder` itself (a folder written into)."""
    if str(folder):
        settings().setValue(_key(kind), str(Path(folder)))
