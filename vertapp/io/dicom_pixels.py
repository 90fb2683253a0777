"""Pixel data of one DICOM file, in modality units (RescaleSlope/Intercept applied).

Uncompressed files (the usual CT export) are decoded straight from the pixel
bytes with numpy: that is several times faster than going through GDCM and
is what keeps the series reader ahead of SimpleITK. Compressed transfer
syntaxes go through SimpleITK/GDCM (which applies the rescale itself), with
pydicom's own decoders as a second chance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from vertapp.errors import InputError
from vertapp.io.dicom_headers import SliceHeader, quiet_pydicom, rescale_pair
from vertapp.io.limits import check_allocation
from vertapp.io.native_stderr import quiet_native_stderr

_UNCOMPRESSED = {ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian}
_DTYPES = {(8, 0): np.uint8, (8, 1): np.int8, (16, 0): np.uint16, (16, 1): np.int16}
_DTYPES.update({(32, 0): np.uint32, (32, 1): np.int32})


def read_dataset(path: Path) -> pydicom.Dataset:
    """The whole file (pixel bytes included, not decoded)."""
    try:
        with quiet_pydicom():
            return pydicom.dcmread(path)
    except Exception as err:  # pydicom raises many types on damaged files
        raise InputError(f"{path}: truncated or corrupt DICOM file ({_first_line(err)})") from err


def modality_values(path: Path, ds: pydicom.Dataset | None = None) -> np.ndarray:
    """First frame as a 2-D array in modality units: int32 when the rescale is integral."""
    ds = read_dataset(path) if ds is None else ds
    if "PixelData" not in ds:
        raise InputError(f"{path}: DICOM file has no pixel data (not an image)")
    check_image_size(ds, path)
    stored = _uncompressed_frame(path, ds)
    if stored is None:
        return _compressed_frame(path, ds)
    return apply_rescale(stored, ds)


def native_values(header: SliceHeader) -> np.ndarray | None:
    """Pixels of an uncompressed slice read with numpy at the offset the header pass found.

    Returns stored values (rescale not applied) or None when the layout is not simple.
    """
    loc = header.pixels
    if loc is None:
        return None
    count = header.rows * header.cols
    need = count * np.dtype(loc.dtype).itemsize
    size = header.path.stat().st_size
    if loc.length > need + 1:  # DICOM pads odd lengths by one byte; more means another layout
        raise InputError(
            f"{header.path}: pixel data holds {loc.length} bytes where {header.rows} x "
            f"{header.cols} pixels of {loc.dtype[2:]} bytes need {need} "
            "(BitsAllocated or the image size is wrong)"
        )
    if loc.length < need or size < loc.offset + need:
        have = max(0, min(loc.length, size - loc.offset))
        raise InputError(
            f"{header.path}: truncated DICOM file (pixel data has {have} of {need} bytes)"
        )
    frame = np.fromfile(header.path, dtype=loc.dtype, count=count, offset=loc.offset)
    frame = frame.reshape(header.rows, header.cols)
    bits = frame.dtype.itemsize * 8
    if loc.bits_stored < bits and bits > 8:
        frame = _mask_bits(frame, loc.bits_stored, bits)
    return frame


def rescale_of(ds: pydicom.Dataset) -> tuple[float, float]:
    """RescaleSlope and RescaleIntercept; InputError when one is present but not a number."""
    where = getattr(ds, "filename", None) or "DICOM file"
    try:
        return rescale_pair(ds)
    except ValueError as err:
        raise InputError(f"{where}: {err}") from None


def apply_rescale(stored: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    slope, intercept = rescale_of(ds)
    if slope == 1.0 and float(intercept).is_integer():
        out = stored.astype(np.int32)
        if intercept:
            out += int(intercept)
        return out
    return stored.astype(np.float64) * slope + intercept


def stored_range(ds: pydicom.Dataset) -> tuple[float, float]:
    """The range the stored values can take (BitsStored, PixelRepresentation)."""
    bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 16)) or 16)
    if int(ds.get("PixelRepresentation", 0) or 0) == 1:
        return (-(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1)
    return (0.0, 2.0**bits - 1)


def _uncompressed_frame(path: Path, ds: pydicom.Dataset) -> np.ndarray | None:
    ts = ds.file_meta.get("TransferSyntaxUID", ImplicitVRLittleEndian)
    big_endian = ts == ExplicitVRBigEndian
    bits = int(ds.get("BitsAllocated", 0) or 0)
    signed = int(ds.get("PixelRepresentation", 0) or 0)
    dtype = _DTYPES.get((bits, signed))
    if not (ts in _UNCOMPRESSED or big_endian) or dtype is None:
        return None
    if int(ds.get("SamplesPerPixel", 1) or 1) != 1:
        return None
    rows, cols = int(ds.Rows), int(ds.Columns)
    raw = ds.PixelData
    need = rows * cols * np.dtype(dtype).itemsize
    if len(raw) < need:
        raise InputError(
            f"{path}: truncated DICOM file (pixel data has {len(raw)} of {need} bytes)"
        )
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if len(raw) > need * frames + 1:
        raise InputError(
            f"{path}: pixel data holds {len(raw)} bytes where {frames} x {rows} x {cols} "
            f"pixels of {bits} bits need {need * frames} (BitsAllocated or the size is wrong)"
        )
    frame = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(">" if big_endian else "<"))
    frame = frame[: rows * cols].reshape(rows, cols)
    return _mask_unused_bits(frame.astype(dtype, copy=False), ds, bits)


def _mask_unused_bits(frame: np.ndarray, ds: pydicom.Dataset, bits: int) -> np.ndarray:
    """Old files keep overlays in the unused high bits; signed values need sign extension."""
    stored = int(ds.get("BitsStored", bits) or bits)
    if stored >= bits or bits == 8:
        return frame
    return _mask_bits(frame, stored, bits)


def _mask_bits(frame: np.ndarray, stored: int, bits: int) -> np.ndarray:
    shift = bits - stored
    if np.issubdtype(frame.dtype, np.signedinteger):
        return (frame << shift) >> shift
    return frame & np.array((1 << stored) - 1, dtype=frame.dtype)


def _compressed_frame(path: Path, ds: pydicom.Dataset) -> np.ndarray:
    values = _gdcm_frame(path)
    return values if values is not None else _pydicom_frame(path, ds)


def radiograph_values(path: Path, ds: pydicom.Dataset) -> tuple[np.ndarray, bool]:
    """First frame in modality units, and whether MONOCHROME1 was already inverted.

    pydicom's decoders come first here: they return the stored values as they
    are, while GDCM (the fallback) already inverts MONOCHROME1 itself.
    """
    if "PixelData" not in ds:
        raise InputError(f"{path}: DICOM file has no pixel data (not an image)")
    check_image_size(ds, path)
    stored = _uncompressed_frame(path, ds)
    if stored is not None:
        return apply_rescale(stored, ds), False
    try:
        return _pydicom_frame(path, ds), False
    except InputError:
        values = _gdcm_frame(path)
        if values is None:
            raise
        mono1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
        return values, mono1


def _gdcm_frame(path: Path) -> np.ndarray | None:
    """Decoded by GDCM, rescale applied; None when GDCM cannot read it or it is colour."""
    try:
        with quiet_native_stderr():
            image = sitk.ReadImage(str(path), imageIO="GDCMImageIO")
    except RuntimeError:
        return None
    if image.GetNumberOfComponentsPerPixel() != 1:
        return None
    values = sitk.GetArrayFromImage(image)
    return values[0] if values.ndim == 3 else values


def _pydicom_frame(path: Path, ds: pydicom.Dataset) -> np.ndarray:
    try:
        with quiet_pydicom():  # its decoders log tracebacks before we report in words
            pixels = ds.pixel_array
    except Exception as err:
        raise InputError(
            f"{path}: truncated or undecodable DICOM pixel data ({_first_line(err)})"
        ) from err
    frame = pixels[0] if pixels.ndim == 3 and int(ds.get("NumberOfFrames", 1) or 1) > 1 else pixels
    if frame.ndim != 2:
        raise InputError(f"{path}: colour DICOM images are not supported (shape {frame.shape})")
    return apply_rescale(frame, ds)


def check_image_size(ds: pydicom.Dataset, path: Path) -> None:
    """Rows, Columns and frames at least 1 and fitting in memory, before any decoding."""
    try:
        rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        raise InputError(f"{path}: DICOM Rows, Columns or NumberOfFrames is not a number") from None
    if rows < 1 or cols < 1 or frames < 1:
        raise InputError(
            f"{path}: DICOM image of {rows} rows x {cols} columns x {frames} frames is empty"
        )
    check_allocation(rows * cols * frames, 12, "the image", str(path))


def _first_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).strip().splitlines() if ln.strip()]
    if not lines:
        return type(err).__name__
    if lines[0].endswith(":") and len(lines) > 1:  # pydicom: "... by all plugins:" + causes
        return f"{lines[0]} {lines[1]}"[:200]
    return lines[0][:120]
