"""A landmark dataset's film, read and put into a project (`vertapp xray import`, the
window's File > Import landmark radiographs…).

A PNG/JPEG/TIFF film is copied whole: its file is its own values, what the project reads.
A DICOM film (DX, CR, a 2-D secondary capture: the io rule, `vertapp.io.dicom_film`) is
not copied: its header names the patient. The project keeps what the window keeps for a
DICOM film it opens (`gui.document.files.add_radiograph` and `write_images`): an 8-bit
copy as the image file (the percentile window training and Predict give a film,
`training.grey_u8`), the film's own values as a lossless 8/16-bit PNG in volumes/ named
by the record's `source_path` (`display.stored_pixels`: the window/level and the pair
alignment read it), and its pixel spacing as `vertapp.pixel_spacing_mm` (row, col). PNGs
carry no header: nothing of the patient's travels with the project.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.store import SOURCES_DIR
from vertapp.errors import InputError
from vertapp.io.dicom_headers import looks_like_dicom


@dataclass(frozen=True)
class DatasetFilm:
    """A dataset's film as read: its size, the reader's doubts ("file holds 3 frames; the
    first one was read"), and for a DICOM film its values and spacing."""

    source: Path
    width: int
    height: int
    warnings: tuple[str, ...] = ()
    dicom_pixels: np.ndarray | None = None  # bone-bright values; None: copied whole
    spacing: tuple[float, float] | None = None  # (row, col) mm, where the file records it

    @property
    def suffix(self) -> str:
        """The image file's suffix in the project: DICOM films become PNG."""
        return ".png" if self.dicom_pixels is not None else self.source.suffix.lower()


def read_dataset_film(source: Path, row: int) -> DatasetFilm:
    """The film of landmarks row `row` (from 1); InputError in words when it is missing,
    unreadable, or a DICOM file that is no film (a CT slice)."""
    from vertapp.xray.images import read_noted

    if not source.is_file():
        raise InputError(f"{source}: image missing or not readable (row {row})")
    if looks_like_dicom(source):
        return _dicom_film(source, row)
    try:
        pixels, warnings = read_noted(source)
    except InputError as err:
        raise InputError(f"{err} (row {row})") from None
    height, width = pixels.shape[:2]
    return DatasetFilm(source, int(width), int(height), tuple(warnings))


def _dicom_film(source: Path, row: int) -> DatasetFilm:
    """A DICOM film read once: its values, spacing and warnings; a CT slice refused from
    its header, before its folder is scanned for a series."""
    from vertapp.io.dicom_film import dicom_file_kind
    from vertapp.io.readers import read_radiograph

    kind = dicom_file_kind(source)
    if kind is not None and not kind.film:
        raise InputError(f"{source}: is {kind.what}, not a film (row {row})")
    try:
        film = read_radiograph(source)
    except InputError as err:
        raise InputError(f"{err} (row {row})") from None
    height, width = film.shape
    warnings = tuple(film.warnings)
    return DatasetFilm(source, width, height, warnings, film.array, film.pixel_spacing)


def put_film(film: DatasetFilm, root: Path, file_name: str) -> tuple[str | None, dict[str, Any]]:
    """Write `film` into the project at `root` as `file_name` (module docstring); returns
    its record's `source_path` (None: the image file is its own values) and `extra`."""
    dest = root / file_name
    dest.parent.mkdir(parents=True, exist_ok=True)
    if film.dicom_pixels is None:
        shutil.copyfile(film.source, dest)
        return None, {}
    from vertapp.xray.display import stored_pixels
    from vertapp.xray.training import grey_u8
    from vertapp.xray.zoi_files import write_png

    own = source_path_of(file_name)
    write_png(dest, grey_u8(film.dicom_pixels))
    try:
        (root / own).parent.mkdir(parents=True, exist_ok=True)
        write_png(root / own, stored_pixels(film.dicom_pixels))
    except BaseException:  # the caller cleans up what it was told of: not half a film
        dest.unlink(missing_ok=True)
        raise
    spacing = {"pixel_spacing_mm": [float(v) for v in film.spacing]} if film.spacing else {}
    return own, spacing


def source_path_of(file_name: str) -> str:
    """Where a DICOM film's own values go: volumes/<image stem>.png, as the window names
    them (`gui.document.files._keep_raw_inside`)."""
    return f"{SOURCES_DIR}/{Path(file_name).stem}.png"
