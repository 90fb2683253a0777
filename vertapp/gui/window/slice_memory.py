"""Where the axial view of each CT image was left, found again on coming back to it.

The view opened every CT at its middle slice: after browsing to another image, or
reopening the project the next day, a radiologist scrolled back to the level they were
checking. The slice is kept per image in the app's settings (not in project.json:
looking at a slice is no edit, and must not make the project "unsaved"), under a digest
of the project's folder, never the path itself (a folder name can name the patient).
An untitled project's images are remembered for the session only.
"""

from __future__ import annotations

from pathlib import Path

from vertapp.gui.document.files import source_key
from vertapp.gui.window.names import settings

KEY = "axial_slice"


class SliceMemory:
    def __init__(self) -> None:
        self._session: dict[tuple[str, int], int] = {}
        self._unsaved: set[tuple[str, int]] = set()  # of saved projects, not yet in settings

    def remember(self, root: Path | None, image_id: int, k: int) -> None:
        """Every slice step: memory only (a settings write per wheel step costs ~1 ms of
        disk on a local drive, more on a network home)."""
        key = (_digest(root), image_id)
        self._session[key] = k
        if root is not None:
            self._unsaved.add(key)

    def flush(self) -> None:
        """Into the settings: on leaving an image and on closing the window."""
        if not self._unsaved:
            return
        store = settings()
        for digest, image_id in self._unsaved:
            store.setValue(f"{KEY}/{digest}/{image_id}", self._session[(digest, image_id)])
        self._unsaved.clear()

    def recall(self, root: Path | None, image_id: int) -> int | None:
        key = (_digest(root), image_id)
        if key in self._session:
            return self._session[key]
        if root is None:
            return None
        value = settings().value(f"{KEY}/{key[0]}/{image_id}", None)
        try:
            return int(str(value)) if value is not None else None
        except ValueError:  # a hand-edited settings file: start at the middle
            return None


def _digest(root: Path | None) -> str:
    return "untitled" if root is None else source_key(root)
