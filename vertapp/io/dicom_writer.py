"""Write a `Volume` as a DICOM series (demo data, tests and the I/O benchmark).

One uncompressed file per axial slice, signed 16-bit stored values with a
rescale intercept (unsigned 16-bit when the values fit, as most scanners
store CT), geometry taken from the volume (IPP/IOP in LPS). With
`shuffle=True` the file names, the order the files are written in and the
InstanceNumbers carry no information about slice order, so a reader has to
sort by ImagePositionPatient as it should.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, MRImageStorage, generate_uid

from vertapp.io.volume import Volume

_SOP_CLASS = {"CT": CTImageStorage, "MR": MRImageStorage}


def write_dicom_series(
    volume: Volume,
    folder: str | Path,
    *,
    shuffle: bool = True,
    seed: int = 0,
    intercept: float = -1024.0,
    slope: float = 1.0,
    series_description: str | None = None,
    series_number: int = 1,
    patient_name: str = "Phantom^Synthetic",
) -> list[Path]:
    """Write one file per z slice into `folder`; return the paths in slice order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, series_number])  # two series in one folder: new names
    nz = volume.shape[0]
    order = rng.permutation(nz) if shuffle else np.arange(nz)
    names = _file_names(nz, rng, shuffle)
    description = volume.series_description if series_description is None else series_description
    stored = _stored_values(volume.array, intercept, slope)
    template = _series_template(volume, description, series_number, seed)
    template.PatientName = patient_name
    template.PixelRepresentation = 0 if stored.dtype == np.uint16 else 1
    paths: list[Path] = [folder / names[k] for k in range(nz)]
    for rank, k in enumerate(order):
        ds = _slice_dataset(template, volume, int(k), stored[k], intercept, slope)
        ds.InstanceNumber = rank + 1 if shuffle else int(k) + 1
        ds.save_as(paths[k], enforce_file_format=True)
    return paths


def _file_names(n: int, rng: np.random.Generator, shuffle: bool) -> list[str]:
    if not shuffle:
        return [f"slice{k:04d}.dcm" for k in range(n)]
    # Random hex names: lexical order says nothing about position.
    return [f"{rng.integers(0, 2**48):012x}" for _ in range(n)]


def _stored_values(array: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    stored = np.rint((array.astype(np.float64) - intercept) / slope)
    if stored.min() >= 0 and stored.max() <= 65535:
        return stored.astype(np.uint16)
    return np.clip(stored, -32768, 32767).astype(np.int16)


def _series_template(volume: Volume, description: str, series_number: int, seed: int) -> Dataset:
    ds = Dataset()
    ds.Modality = volume.modality or "CT"
    ds.SOPClassUID = _SOP_CLASS.get(ds.Modality, CTImageStorage)
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[f"study-{seed}"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[f"series-{seed}-{series_number}"])
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[f"frame-{seed}"])
    ds.SeriesDescription = description
    ds.SeriesNumber = series_number
    ds.PatientName = "Phantom^Synthetic"
    ds.PatientID = f"SYNTH{seed:04d}"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PatientPosition = "HFS"
    direction = volume.direction
    ds.ImageOrientationPatient = [_ds(v) for v in (*direction[:, 0], *direction[:, 1])]
    sx, sy, sz = volume.spacing
    ds.PixelSpacing = [_ds(sy), _ds(sx)]  # row spacing (along y) first
    ds.SliceThickness = _ds(sz)
    ds.Rows, ds.Columns = volume.shape[1], volume.shape[2]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    return ds


def _slice_dataset(
    template: Dataset, volume: Volume, k: int, pixels: np.ndarray, intercept: float, slope: float
) -> Dataset:
    ds = template.copy()
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(template.SeriesInstanceUID), str(k)])
    position = volume.index_to_lps((k, 0, 0))
    ds.ImagePositionPatient = [_ds(v) for v in position]
    ds.SliceLocation = _ds(float(position @ volume.direction[:, 2]))
    ds.RescaleIntercept = _ds(intercept)
    ds.RescaleSlope = _ds(slope)
    ds.RescaleType = "HU"
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _ds(value: float) -> str:
    """A DS string (max 16 chars) that round-trips the value as closely as DICOM allows."""
    text = f"{float(value):.10g}"
    return text if len(text) <= 16 else f"{float(value):.8g}"
