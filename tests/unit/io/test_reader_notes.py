"""What a reader did that needs no look from the user is a note, not a warning: float
voxel values rounded to whole HU (three of four VerSe CTs) and a PNG/JPEG/TIFF without a
pixel size. They showed as "Check this scan" warnings on nearly every real file; real
doubts (clipped values, a DICOM film without its spacing tags) stay warnings."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from iotest_helpers import write_dx

from vertapp.cli import main
from vertapp.io import read_radiograph, read_volume

VERSE006 = Path(__file__).resolve().parents[2] / "data" / "verse" / "sub-verse006_ct.nii.gz"
ROUNDED = "float voxel values were rounded to whole HU (int16)"


def test_a_real_float_verse_ct_gets_a_note_and_no_warning() -> None:
    vol = read_volume(VERSE006)
    assert vol.notes == [ROUNDED] and vol.warnings == []


def test_image_files_note_their_unknown_pixel_size_dicom_films_warn(tmp_path: Path) -> None:
    for suffix in (".png", ".jpg", ".tif"):
        path = tmp_path / f"film{suffix}"
        cv2.imwrite(str(path), np.full((60, 40), 90, np.uint8))
        film = read_radiograph(path)
        assert film.warnings == [], suffix
        assert film.notes == [f"pixel spacing unknown ({suffix[1:]} files do not record it)"]
    dx = read_radiograph(write_dx(tmp_path / "dx.dcm", np.full((40, 30), 300, np.uint16)))
    assert any("pixel spacing unknown" in w for w in dx.warnings) and dx.notes == []


def test_info_prints_notes_apart_from_warnings(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["info", str(VERSE006)]) == 0
    out = capsys.readouterr().out
    assert "warnings:     none" in out and f"note:         {ROUNDED}" in out
