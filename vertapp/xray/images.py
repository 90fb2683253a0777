"""Radiograph pixels as stored ("unprocessed"): what ZOIs are cut from and aligned on.

Image files keep their own integer type (8 or 16 bit); DICOM goes through the project's
reader (rescale applied, bone bright) and stays float. Colour files become grey.

A DICOM file that is no film by the io rule (`vertapp.io.dicom_film`: a CT, MR, PET or NM
slice, a file recording its place in the patient, a multi-frame secondary capture) is
refused in words: cutting ZOIs out of a scan's slice would go on without a word.

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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Film:
    """A radiograph as read: `pixels` bone bright (what ZOIs are found and aligned on),
    `stored` the values the file holds (uint8/uint16) and `values` how they map to the
    modality values (zois.json's "pixel_values"). `warnings`: the reader's doubts about
    the file ("file holds 3 frames; the first one was read"), for the caller to say."""

    pixels: np.ndarray
    stored: np.ndarray
    values: dict[str, Any]
    warnings: tuple[str, ...] = ()


def read_pixels(path: Path) -> np.ndarray:
    """2-D pixel array of a radiograph file; our error for anything unreadable. The
    reader's warnings go to the log (a caller that says them itself: `read_noted`)."""
    pixels, warnings = read_noted(path)
    log_warnings(path, warnings)
    return pixels


def read_noted(path: Path) -> tuple[np.ndarray, list[str]]:
    """`read_pixels`'s array and the reader's warnings, not logged: the command line says
    them on stderr, once (logged too, they came twice)."""
    pixels, _header, warnings = _read(Path(path))
    return pixels, warnings


def log_warnings(path: Path, warnings: list[str] | tuple[str, ...]) -> None:
    for warning in warnings:  # "holds 3 frames: the first is used", ...
        log.warning("%s: %s", Path(path).name, warning)


def read_film(path: Path) -> Film:
    """`read_pixels` and, for DICOM, the stored values under it (see the module); the
    reader's warnings are in the Film, not logged."""
    from vertapp.xray.zoi_files import png_values

    pixels, header, warnings = _read(Path(path))
    stored = None if header is None else _dicom_stored(pixels, header)
    return Film(pixels, *(stored or png_values(pixels)), tuple(warnings))


def _read(path: Path) -> tuple[np.ndarray, Any, list[str]]:
    """The pixels, the DICOM header (None for other files) and the reader's warnings."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in IMAGE_EXT:
        from vertapp.io.radiograph_files import pages_note

        img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise InputError(f"{path}: cannot be read as an image")
        warnings = [note for note in (pages_note(path),) if note]
        if img.ndim == 3:
            if not _grey_channels(img):  # as the io reader says it (radiograph_files)
                warnings.append("colour image converted to grey")
            img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
        if img.dtype.kind == "f":
            from vertapp.io.radiograph_files import finite_pixels

            # OpenCV skips the io layer's check: one NaN pixel made every cut-out 0 and
            # the rescale NaN (zois.json not JSON); refused as `vertapp info` refuses it
            finite_pixels(img, path)
        return np.asarray(img), None, warnings
    from vertapp.io.dicom_headers import looks_like_dicom, read_header
    from vertapp.io.readers import read_radiograph

    header = read_header(path) if looks_like_dicom(path) else None
    if header is not None:
        _check_radiograph_header(path, header)
    film = read_radiograph(path)
    return np.asarray(film.array), header, list(film.warnings)


def _grey_channels(img: np.ndarray) -> bool:
    """Whether a colour file's B, G and R channels are one grey (a grey film saved as RGB)."""
    bgr = img[..., :3]
    return bool((bgr == bgr[..., :1]).all())


def _check_radiograph_header(path: Path, ds: Any) -> None:
    """Refuse a DICOM file that is no film (the io rule, `vertapp.io.dicom_film`) in
    words, before its pixels are read."""
    from vertapp.io.dicom_film import dicom_kind

    kind = dicom_kind(ds)
    if not kind.film:
        raise InputError(
            f"{path.name} is {kind.what}, not a radiograph; the radiograph commands need a "
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
