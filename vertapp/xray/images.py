"""Radiograph pixels as stored ("unprocessed"): what ZOIs are cut from and aligned on.

Image files keep their own integer type (8 or 16 bit); DICOM goes through the project's
reader (rescale applied, bone bright) and stays float. Colour files become grey.

A DICOM slice of a 3-D scan (Modality CT, MR, PT or NM, or a file recording its position
in the patient) is refused in words: it is not a radiograph, and cutting ZOIs out of it
would go on without a word.

`read_film` also gives the film's *stored* values, what `vertapp xray zoi` writes: the
DICOM's stored pixel values (bits as the file allocates them, MONOCHROME1 left as stored)
and the record zois.json keeps of how to get the modality values back
(modality value = PNG value x rescale_slope + rescale_intercept).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vertapp.errors import InputError

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# DICOM modalities whose single files are slices of a 3-D scan, never radiographs
SLICE_MODALITIES = {
    "CT": "a CT slice",
    "MR": "an MR slice",
    "PT": "a PET slice",
    "NM": "a nuclear medicine (NM) image",
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Film:
    """A radiograph as read: `pixels` bone bright (what ZOIs are found and aligned on),
    `stored` the values the file holds (uint8/uint16) and `values` how they map to the
    modality values (zois.json's "pixel_values")."""

    pixels: np.ndarray
    stored: np.ndarray
    values: dict[str, Any]


def read_pixels(path: Path) -> np.ndarray:
    """2-D pixel array of a radiograph file; our error for anything unreadable."""
    return _read(Path(path))[0]


def read_film(path: Path) -> Film:
    """`read_pixels` and, for DICOM, the stored values under it (see the module)."""
    from vertapp.xray.zoi_files import png_values

    pixels, header = _read(Path(path))
    stored = None if header is None else _dicom_stored(pixels, header)
    return Film(pixels, *(stored or png_values(pixels)))


def _read(path: Path) -> tuple[np.ndarray, Any]:
    """The pixels, and the DICOM header (None for other files)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in IMAGE_EXT:
        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise InputError(f"{path}: cannot be read as an image")
        if img.ndim == 3:
            img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
        if img.dtype.kind == "f":
            from vertapp.io.radiograph_files import finite_pixels

            # OpenCV skips the io layer's check: one NaN pixel made every cut-out 0 and
            # the rescale NaN (zois.json not JSON); refused as `vertapp info` refuses it
            finite_pixels(img, path)
        return np.asarray(img), None
    from vertapp.io.dicom_headers import looks_like_dicom, read_header
    from vertapp.io.readers import read_radiograph

    header = read_header(path) if looks_like_dicom(path) else None
    if header is not None:
        _check_radiograph_header(path, header)
    film = read_radiograph(path)
    for warning in film.warnings:  # "holds 3 frames: the first is used", ...
        log.warning("%s: %s", path.name, warning)
    return np.asarray(film.array), header


def _check_radiograph_header(path: Path, ds: Any) -> None:
    """Refuse a DICOM slice of a 3-D scan in words (before its pixels are read)."""
    from vertapp.io.dicom_headers import RADIOGRAPH_MODALITIES

    modality = str(ds.get("Modality", "") or "").strip().upper()
    what = SLICE_MODALITIES.get(modality)
    if what is None and modality not in RADIOGRAPH_MODALITIES:
        geometry = [k for k in ("ImagePositionPatient", "ImageOrientationPatient") if k in ds]
        if geometry:
            what = f"a slice of a 3-D scan (it records its {' and '.join(geometry)})"
    if what is not None:
        raise InputError(
            f"{path.name} is {what}, not a radiograph; the radiograph commands need a "
            "DX, CR, RF, XA or MG film (or a PNG/JPEG/TIFF image)"
        )


def _dicom_stored(bright: np.ndarray, ds: Any) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The stored values under the reader's bone-bright modality values, and their record;
    None when they cannot be recovered exactly (the caller then stretches, recorded)."""
    from vertapp.io.dicom_pixels import rescale_of, stored_range

    slope, intercept = rescale_of(ds)
    lo, hi = stored_range(ds)
    bits_allocated = int(ds.get("BitsAllocated", 16) or 16)
    if slope == 0 or bits_allocated > 16:
        return None
    photometric = str(ds.get("PhotometricInterpretation", "") or "MONOCHROME2").upper()
    inverse_lut = str(ds.get("PresentationLUTShape", "")).upper() == "INVERSE"
    inverted = (photometric == "MONOCHROME1") != inverse_lut
    modality = np.asarray(bright, dtype=np.float64)
    if inverted:  # the reader turned it bone bright over the rescaled stored range
        modality = (lo + hi) * slope + 2 * intercept - modality
    stored = (modality - intercept) / slope
    whole = np.round(stored)
    if not (
        np.abs(stored - whole).max(initial=0) <= 0.01 and lo <= whole.min() <= whole.max() <= hi
    ):
        return None
    offset = int(-lo) if lo < 0 else 0  # signed stored values: shifted into PNG's range
    dtype = np.uint8 if bits_allocated <= 8 else np.uint16
    values = {
        "pixels": "DICOM stored values" + (f" + {offset}" if offset else ""),
        "modality": str(ds.get("Modality", "") or "OT").upper(),
        "photometric_interpretation": photometric,
        "bone_bright": not inverted,
        "bits_stored": int(ds.get("BitsStored", bits_allocated) or bits_allocated),
        "rescale_slope": float(slope),
        "rescale_intercept": float(intercept - offset * slope),
    }
    rescale_type = str(ds.get("RescaleType", "") or "").strip()
    if rescale_type:
        values["rescale_type"] = rescale_type
    return (whole + offset).astype(dtype), values
