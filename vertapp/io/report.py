"""What a reader found besides the image itself (for `vertapp info` and the GUI)."""

from __future__ import annotations

from dataclasses import dataclass

from vertapp.io.volume import Radiograph, Volume


@dataclass
class LoadReport:
    """An image plus facts about how it was stored.

    `stored_orientation` is the orientation code of the data as it lay in the
    file(s) (for DICOM: row, column and slice-normal directions), before the
    reorientation to LPS. `series_found` counts the image series the input
    held (1 for a single file).
    """

    image: Volume | Radiograph
    format: str
    stored_orientation: str = ""
    series_found: int = 1

    @property
    def is_volume(self) -> bool:
        return isinstance(self.image, Volume)
