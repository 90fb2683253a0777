"""Helpers for the io tests: small synthetic volumes and DICOM files written with pydicom.

A plain module (not conftest) so tests can import the functions; named uniquely because
tests/unit/io is not a package (a package named `io` would shadow the standard library).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian, generate_uid

from vertapp.io import Volume


def make_volume(nz: int = 12, ny: int = 20, nx: int = 16, seed: int = 0) -> Volume:
    """Air around a soft-tissue ellipse with a bony blob; every slice differs."""
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[:nz, :ny, :nx]
    array = np.full((nz, ny, nx), -1000, dtype=np.int16)
    body = ((y - ny / 2) / (ny * 0.4)) ** 2 + ((x - nx / 2) / (nx * 0.4)) ** 2 < 1
    array[body] = 40
    bone = (y - ny * 0.6) ** 2 + (x - nx * 0.5 - z * 0.3) ** 2 < 6
    array[bone] = 700 + 10 * z[bone]
    array += rng.integers(-20, 21, size=array.shape).astype(np.int16)
    return Volume(array, spacing=(0.75, 0.8, 2.5), origin=(-10.5, 20.25, -100.0))


def slice_files_in_order(folder: Path) -> list[Path]:
    """The files of a series sorted by z position (for tests that damage one slice)."""
    files = [p for p in folder.iterdir() if p.is_file()]
    return sorted(files, key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))


def rewrite(path: Path, edit: Callable[[Dataset], None]) -> None:
    ds = pydicom.dcmread(path)
    edit(ds)
    ds.save_as(path, enforce_file_format=True)


def write_dx(
    path: Path,
    pixels: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    modality: str = "DX",
    bits_stored: int = 12,
    pixel_spacing: tuple[float, float] | None = None,
    imager_spacing: tuple[float, float] | None = None,
    magnification: float | None = None,
) -> Path:
    """A single-frame radiograph, uint16 stored values."""
    ds = Dataset()
    ds.Modality = modality
    ds.SOPClassUID = DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "ID12345"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    if pixel_spacing:
        ds.PixelSpacing = list(pixel_spacing)
    if imager_spacing:
        ds.ImagerPixelSpacing = list(imager_spacing)
    if magnification:
        ds.EstimatedRadiographicMagnificationFactor = magnification
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    return path
