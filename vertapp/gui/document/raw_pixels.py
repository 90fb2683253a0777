"""A radiograph's own pixel values, for window/level and the pair alignment.

A project keeps an 8-bit copy of every image (`images/*.png`, what the model reads). A
radiograph opened from a file also keeps its own values, so the window/level works on the
16 bits of a DICOM or TIFF: in memory until the project is saved, then as
`volumes/<image>.png` (8 or 16 bit, `vertapp.xray.display.stored_pixels`), named in the
image's `source_path`. Images imported as they are (landmark datasets) are their own
values already: their `images/` file is read unchanged.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from vertapp.annotations.model import ImageRecord, Project
from vertapp.annotations.paths import safe_join
from vertapp.errors import UnsafePathError
from vertapp.xray.images import read_pixels

log = logging.getLogger(__name__)
CACHE = 4  # radiographs kept decoded while browsing (a 16-bit film is 10 MB as float)


class RawPixels:
    def __init__(self) -> None:
        self.unsaved: dict[int, np.ndarray] = {}  # opened, not yet in a project folder
        self._read: OrderedDict[int, np.ndarray] = OrderedDict()

    def reset(self, unsaved: Mapping[int, np.ndarray | None] | None = None) -> None:
        """A new project: forget the last one's values (image ids start again)."""
        self._read.clear()
        self.unsaved = {i: a for i, a in (unsaved or {}).items() if a is not None}

    def get(self, project: Project, image_id: int) -> np.ndarray:
        """The image's own values (read once; a few kept while browsing)."""
        if image_id in self.unsaved:
            return self.unsaved[image_id]
        if image_id in self._read:
            self._read.move_to_end(image_id)
            return self._read[image_id]
        arr = read_pixels(stored_path(project, project.images[image_id]))
        self._read[image_id] = arr
        while len(self._read) > CACHE:
            self._read.popitem(last=False)
        return arr

    def cached(self) -> Mapping[int, np.ndarray]:
        """The values read from the folder and still in memory: a "save as" writes them
        where the folder has lost their files (deleted or moved while open)."""
        return self._read

    def saved(self) -> None:
        """The project was saved: the unsaved values are in its folder now."""
        self._read.update(self.unsaved)
        self.unsaved.clear()


def stored_path(project: Project, rec: ImageRecord) -> Path:
    """Where a radiograph's own values are: its saved copy, else its image file."""
    if rec.source_path and project.root is not None:
        try:  # a path read from the project file may not lead out of the project
            src = safe_join(project.root, rec.source_path, f"image {rec.id} source")
            if src.is_file():
                return src
        except UnsafePathError as err:
            log.warning("%s", err)
    return project.image_path(rec)
