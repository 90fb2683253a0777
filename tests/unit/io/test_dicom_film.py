"""The io rule that tells a DICOM film from a slice of a 3-D scan (`vertapp.io.dicom_film`),
and the readers that follow it; TIFF films of more than one page are said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from iotest_helpers import rewrite, write_dx
from PIL import Image
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    SecondaryCaptureImageStorage,
)

from vertapp.io import Radiograph, Volume, read_any, read_radiograph
from vertapp.io.dicom_film import dicom_file_kind

GEOMETRY = {
    "ImagePositionPatient": [0.0, 0.0, 0.0],
    "ImageOrientationPatient": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
}


def _file(tmp_path: Path, modality: str, sop: str, geometry: bool = False, frames: int = 1) -> Path:
    pixels = np.random.default_rng(0).integers(0, 4000, size=(20, 16)).astype(np.uint16)
    path = write_dx(tmp_path / "f.dcm", pixels, modality=modality)

    def edit(ds: pydicom.Dataset) -> None:
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop
        if geometry:
            for tag, value in GEOMETRY.items():
                setattr(ds, tag, value)
        if frames > 1:
            ds.NumberOfFrames = frames
            ds.PixelData = np.concatenate([pixels] * frames).tobytes()

    rewrite(path, edit)
    return path


@pytest.mark.parametrize(
    ("modality", "sop", "geometry", "frames", "film", "what"),
    [
        ("DX", SecondaryCaptureImageStorage, False, 1, True, "a DX film"),
        ("CR", SecondaryCaptureImageStorage, True, 1, True, "a CR film"),  # SC, modality says
        ("OT", ComputedRadiographyImageStorage, True, 1, True, "Computed Radiography"),
        ("", ComputedRadiographyImageStorage, False, 1, True, "Computed Radiography"),
        ("OT", SecondaryCaptureImageStorage, False, 1, True, "a 2-D OT image"),
        ("CT", ComputedRadiographyImageStorage, False, 1, False, "a CT slice"),
        ("CT", CTImageStorage, True, 1, False, "a CT slice"),
        ("MR", SecondaryCaptureImageStorage, False, 1, False, "an MR slice"),
        ("OT", SecondaryCaptureImageStorage, True, 1, False, "ImagePositionPatient"),
        ("OT", MultiFrameGrayscaleWordSecondaryCaptureImageStorage, False, 4, False, "4 frames"),
    ],
)
def test_the_rule_reads_modality_sop_class_frames_and_geometry(  # type: ignore[no-untyped-def]
    tmp_path, modality, sop, geometry, frames, film, what
) -> None:
    kind = dicom_file_kind(_file(tmp_path, modality, sop, geometry, frames))
    assert kind is not None and kind.film is film and what in kind.what, kind


def test_the_sop_class_is_found_in_the_file_meta_when_the_dataset_lost_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "OT", ComputedRadiographyImageStorage, geometry=True)
    rewrite(path, lambda ds: setattr(ds, "SOPClassUID", ""))  # an anonymiser's work
    kind = dicom_file_kind(path)
    assert kind is not None and kind.film


def test_what_is_not_a_dicom_file_has_no_dicom_kind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "x.png")
    assert dicom_file_kind(tmp_path / "x.png") is None
    assert dicom_file_kind(tmp_path) is None


def test_read_any_follows_the_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two CR films a PACS exported as modality OT, keeping a position, in one series:
    the one named is read as a film (it was taken for a slice of their series); a
    multi-frame secondary capture is a stack (its first frame was taken for a film)."""
    films = []
    for z, name in enumerate(("a", "b")):
        folder = tmp_path / name
        folder.mkdir()
        films.append(_file(folder, "OT", ComputedRadiographyImageStorage, geometry=True))
        rewrite(films[-1], lambda ds, z=z: setattr(ds, "ImagePositionPatient", [0.0, 0.0, z]))
    series = pydicom.dcmread(films[0]).SeriesInstanceUID
    rewrite(films[1], lambda ds: setattr(ds, "SeriesInstanceUID", series))
    films[1].rename(tmp_path / "a" / "g.dcm")
    image = read_any(films[0], require_ct=False)
    assert isinstance(image, Radiograph) and image.shape == (20, 16)
    stack = _file(tmp_path, "OT", MultiFrameGrayscaleWordSecondaryCaptureImageStorage, frames=4)
    assert isinstance(read_any(stack, require_ct=False), Volume)


def test_a_tiff_of_several_pages_is_read_at_its_first_and_said(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from vertapp.xray.images import read_noted

    pages = [Image.fromarray(np.full((12, 10), v, np.uint16)) for v in (1000, 2000, 3000)]
    pages[0].save(tmp_path / "stack.tif", save_all=True, append_images=pages[1:])
    said = "TIFF file holds 3 pages; the first one was read"
    film = read_radiograph(tmp_path / "stack.tif")
    assert said in film.warnings and float(film.array.max()) == 1000.0
    pixels, warnings = read_noted(tmp_path / "stack.tif")  # `vertapp xray`'s reader
    assert said in warnings and int(pixels.max()) == 1000
    pages[0].save(tmp_path / "one.tif")
    assert read_radiograph(tmp_path / "one.tif").warnings == []
    assert read_noted(tmp_path / "one.tif")[1] == []
