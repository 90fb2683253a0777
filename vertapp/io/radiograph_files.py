"""Radiographs from DICOM (DX/CR/any single frame) and PNG/JPEG/TIFF files.

The result always shows bone bright: MONOCHROME1 data (where low values are
white) is inverted over its stored range. 16-bit image files keep their full
depth (OpenCV IMREAD_UNCHANGED, Pillow as a second chance).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pydicom
import SimpleITK as sitk
from PIL import Image, UnidentifiedImageError

from vertapp.errors import InputError, ModalityError
from vertapp.io.dicom_headers import identifiers
from vertapp.io.dicom_pixels import radiograph_values, read_dataset, rescale_of, stored_range
from vertapp.io.limits import check_allocation
from vertapp.io.native_stderr import quiet_native_stderr
from vertapp.io.nifti_nan import count_nonfinite_nifti
from vertapp.io.volume import Radiograph

MAX_SIDE = 100_000  # pixels; the largest detectors are about 4 300
# OpenCV logs its codecs' complaints ("[ERROR:0@0.1] TIFFReadDirectory ...") on stderr;
# a file it cannot read is reported by us, in one line.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def read_dicom_radiograph(path: Path, *, keep_identifiers: bool = False) -> Radiograph:
    ds = read_dataset(path)
    warnings = []
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        warnings.append(f"file holds {frames} frames; the first one was read")
    values, already_inverted = radiograph_values(path, ds)
    values = finite_pixels(values.astype(np.float32), path)
    if _inverted(ds) and not already_inverted:
        lo, hi = _rescaled_range(ds)
        values = np.float32(lo + hi) - values
    spacing, spacing_note = _dicom_spacing(ds)
    if spacing_note:
        warnings.append(spacing_note)
    return Radiograph(
        values,
        pixel_spacing=spacing,
        modality=str(ds.get("Modality", "") or "OT").upper(),
        bits_stored=int(ds.get("BitsStored", 16) or 16),
        source=str(path),
        warnings=warnings,
        identifiers=identifiers(ds) if keep_identifiers else {},
    )


def read_image_radiograph(path: Path) -> Radiograph:
    """PNG / JPEG / TIFF (8 or 16 bit, grey or colour) as a grey radiograph."""
    pixels = _decode_image(path)
    warnings = [note for note in (pages_note(path),) if note]
    bits = 8 if pixels.dtype == np.uint8 else 16 if pixels.dtype == np.uint16 else 32
    if pixels.ndim == 3:
        pixels, note = _to_grey(pixels)
        if note:
            warnings.append(note)
    if pixels.ndim != 2:
        raise InputError(f"{path}: not a 2-D image (shape {pixels.shape})")
    fmt = path.suffix.lower().lstrip(".") or "image"
    return Radiograph(
        finite_pixels(pixels.astype(np.float32), path),
        pixel_spacing=None,
        modality="OT",
        bits_stored=bits,
        source=str(path),
        warnings=warnings,
        # true of every PNG/JPEG/TIFF: nothing for the user to check (a DICOM film
        # without its spacing tags stays a warning: that one should have them)
        notes=[f"pixel spacing unknown ({fmt} files do not record it)"],
    )


def pages_note(path: Path) -> str:
    """A warning when `path` is a TIFF of more than one page, else "". OpenCV and Pillow
    both decode the first page only; a stack of films (or a film and its report) would
    otherwise lose the rest without a word. Thumbnails count too: the first is read."""
    try:
        with _quiet_pillow(), quiet_native_stderr(), Image.open(path) as img:
            pages = int(getattr(img, "n_frames", 1)) if img.format == "TIFF" else 1
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return ""  # the decoder says what is wrong with the file, if anything
    return f"TIFF file holds {pages} pages; the first one was read" if pages > 1 else ""


def radiograph_from_image(image: sitk.Image, path: Path) -> Radiograph:
    """A 2-D SimpleITK image (e.g. a one-slice NIfTI) as a radiograph."""
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise ModalityError(f"{path}: colour/vector images are not supported as radiographs")
    array = np.squeeze(sitk.GetArrayFromImage(image)).astype(np.float32)
    if array.ndim != 2:
        raise ModalityError(f"{path}: is not a 2-D image (shape {array.shape})")
    bad = count_nonfinite_nifti(path)  # ITK reads NaN in NIfTI as 0
    if bad:
        raise InputError(f"{path}: image contains {bad} NaN or infinite pixel values")
    finite_pixels(array, path)
    sx, sy = image.GetSpacing()[:2]
    return Radiograph(array, pixel_spacing=(float(sy), float(sx)), modality="OT", source=str(path))


def _inverted(ds: pydicom.Dataset) -> bool:
    mono1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    inverse_lut = str(ds.get("PresentationLUTShape", "")).upper() == "INVERSE"
    return mono1 != inverse_lut


def _rescaled_range(ds: pydicom.Dataset) -> tuple[float, float]:
    slope, intercept = rescale_of(ds)
    lo, hi = stored_range(ds)
    return lo * slope + intercept, hi * slope + intercept


DETECTOR_MM = (
    "millimetres are measured at the detector, about 10-20 % larger than in the patient "
    "(the film records no magnification)"
)


def _dicom_spacing(ds: pydicom.Dataset) -> tuple[tuple[float, float] | None, str]:
    """(row, col) mm: PixelSpacing (patient plane) or ImagerPixelSpacing (detector plane)."""
    spacing = _pair(ds.get("PixelSpacing"))
    if spacing is not None:
        return spacing, ""
    imager = _pair(ds.get("ImagerPixelSpacing"))
    if imager is None:
        return None, "pixel spacing unknown (no PixelSpacing or ImagerPixelSpacing)"
    try:
        magnification = float(ds.get("EstimatedRadiographicMagnificationFactor", 0) or 0)
    except (TypeError, ValueError):
        magnification = 0.0
    if magnification > 0:
        return (imager[0] / magnification, imager[1] / magnification), ""
    # said in the user's words: what the mm shown mean, not which tag gave them
    return imager, DETECTOR_MM


def _pair(value: object) -> tuple[float, float] | None:
    try:
        a, b = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return (a, b) if a > 0 and b > 0 else None


def finite_pixels(values: np.ndarray, path: Path) -> np.ndarray:
    """`values`, refused when any is NaN or infinite (no brightness can stand for them)."""
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(values.size - np.count_nonzero(finite))
        raise InputError(f"{path}: image contains {bad} NaN or infinite pixel values")
    return values


def _decode_image(path: Path) -> np.ndarray:
    _check_declared_size(path)
    # np.fromfile + imdecode instead of imread: imread fails on non-ASCII paths on Windows.
    try:
        with quiet_native_stderr():  # libpng/libtiff print their own errors on fd 2
            pixels = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        pixels = None  # OpenCV refuses some headers outright; Pillow gets a chance
    if pixels is not None:
        return _bgr_to_rgb(pixels)
    try:
        with _quiet_pillow(), quiet_native_stderr(), Image.open(path) as img:
            return np.array(img)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise InputError(f"{path}: not a readable image ({_reason(err)})") from err


def _check_declared_size(path: Path) -> None:
    """The size the header declares, checked before a decoder allocates it.

    Pillow reads only the header here; a PNG or TIFF claiming 100 000 x 100 000
    pixels is refused in words (OpenCV and Pillow raised their own errors).
    """
    try:
        with _quiet_pillow(), Image.open(path) as img:
            width, height = img.size
            channels = max(len(img.getbands()), 1)
    except Image.DecompressionBombError as err:
        raise InputError(f"{path}: image header declares an absurd size ({_reason(err)})") from err
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return  # Pillow cannot parse the header: OpenCV may still read the file
    if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE:
        raise InputError(f"{path}: image header declares {width} x {height} pixels")
    check_allocation(width * height, 4 * channels + 8, "the image", str(path))


@contextlib.contextmanager
def _quiet_pillow() -> Iterator[None]:
    """Pillow warns on stderr about damaged EXIF and the like; the outcome is said in words."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else type(err).__name__


def _bgr_to_rgb(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 3 and pixels.shape[2] >= 3:
        return pixels[..., [2, 1, 0]]  # alpha, if any, is dropped
    return pixels


def _to_grey(pixels: np.ndarray) -> tuple[np.ndarray, str]:
    rgb = pixels[..., :3] if pixels.shape[2] >= 3 else pixels[..., :1]
    if rgb.shape[2] == 1 or (
        np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])
    ):
        return rgb[..., 0], ""
    grey = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return grey, "colour image converted to grey"
