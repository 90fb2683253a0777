"""What a pair window takes from the main window that opened it: where its file dialogs
start, and where it may not write.

The main window keeps the last folder of each kind of file dialog (`gui/window/last_folder`,
in the app settings); a room above this one, so it is handed in (`Folders`) rather than
imported. Without it (tests, tools) the dialogs start where Qt starts them, as before.

A project open read-only (another session holds it, or took it over) must not be written
into behind that session's back: an export of the pair into its folder is refused in words
(`PairHome.refusal`: when the document's own `write_refusal` refuses, in this window's
words), as the main window refuses a save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vertapp.gui.document.document import Document

# the kinds of the pair's dialogs: images share the main window's "Open radiograph"
IMAGES, ZOI_FILES, MODELS, PAIR_EXPORTS = "radiographs", "pair_zois", "models", "pair_exports"


class Folders(Protocol):
    """The main window's `last_folder` module, or anything that keeps folders alike."""

    def last_folder(self, kind: str) -> str: ...

    def remember_choice(self, kind: str, chosen: str | Path) -> None: ...


class NoMemory:
    """No folder kept: a dialog starts where Qt starts it."""

    def last_folder(self, kind: str) -> str:
        return ""

    def remember_choice(self, kind: str, chosen: str | Path) -> None:
        pass


def _nothing_refused(_folder: Path) -> str:
    return ""


@dataclass(frozen=True)
class PairHome:
    folders: Folders = field(default_factory=NoMemory)
    refusal: Callable[[Path], str] = _nothing_refused  # why not write there; "" when fine


def home_of(doc: Document | None, folders: Folders | None = None) -> PairHome:
    """The pair window's home in the main window of `doc` (its folders and read-only)."""
    refusal = (lambda folder: export_refusal(doc, folder)) if doc is not None else None
    return PairHome(folders or NoMemory(), refusal or _nothing_refused)


# The document's own refusal ends in the main window's way out ("File > Save project as…"):
# this window has no File menu, and its way out is another folder. Short enough to be read
# whole in the status bar of a window on a 1280 px screen.
READ_ONLY_REFUSAL = (
    "Not exported. This folder is inside a project open read-only in VertApp; "
    "export the pair to another folder."
)


def export_refusal(doc: Document, folder: Path) -> str:
    """Why the pair may not be exported into `folder` ("" when it may): a folder inside the
    project the main window has open read-only. Asked at export time, as the main window
    asks before each write: the project may have changed, or been taken over, since."""
    return READ_ONLY_REFUSAL if doc.write_refusal(folder) else ""
