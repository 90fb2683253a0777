"""DICOM header scan: which files are DICOM, and the few tags a reader needs.

Headers are read with pydicom up to (not including) the pixel data, which is
cheap; pixels are read later, only for the series that is chosen. Nothing
identifying is copied out of a header unless the caller asks for it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from vertapp.errors import InputError

IDENTIFIER_TAGS = ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber")
RADIOGRAPH_MODALITIES = frozenset({"DX", "CR", "MG", "RF", "XA", "IO", "PX", "RG"})


@dataclass(frozen=True)
class PixelLocation:
    """Native little-endian pixel bytes of an uncompressed file: read them with numpy."""

    offset: int  # byte offset of the first pixel value
    length: int  # declared length of the pixel data element
    dtype: str  # numpy dtype string, e.g. '<i2'
    bits_stored: int
    slope: float
    intercept: float


@dataclass(frozen=True, eq=False)
class SliceHeader:
    """What the series reader needs to know about one DICOM file."""

    path: Path
    modality: str
    series_uid: str
    series_number: int | None
    description: str
    image_type: tuple[str, ...]
    rows: int
    cols: int
    frames: int
    position: np.ndarray | None  # ImagePositionPatient (x, y, z) mm
    row_dir: np.ndarray | None  # first three values of ImageOrientationPatient
    col_dir: np.ndarray | None
    pixel_spacing: tuple[float, float] | None  # (row spacing, column spacing) mm
    gantry_tilt: float
    pixels: PixelLocation | None = None  # where raw native pixels lie; None: decode via pydicom
    raw_description: str = ""  # SeriesDescription as stored (may name the patient)
    kernel: str = ""  # ConvolutionKernel, values joined by "\\"
    slice_thickness: float | None = None  # SliceThickness mm
    acquisition: int | None = None  # AcquisitionNumber

    @property
    def normal(self) -> np.ndarray | None:
        if self.row_dir is None or self.col_dir is None:
            return None
        n = np.cross(self.row_dir, self.col_dir)
        norm = float(np.linalg.norm(n))
        return n / norm if norm > 1e-6 else None

    def axes(self) -> np.ndarray:
        """3x3 matrix whose columns are the row, column and slice-normal directions."""
        normal = self.normal
        assert self.row_dir is not None and self.col_dir is not None and normal is not None
        return np.column_stack([self.row_dir, self.col_dir, normal])

    @property
    def is_localizer(self) -> bool:
        return "LOCALIZER" in self.image_type

    def series_key(self) -> tuple[Any, ...]:
        """Files with equal keys stack into one volume.

        SeriesInstanceUID alone is not enough: it is blank in some anonymised
        exports, and localizers or reformats can share it with the axial stack.
        Where it is blank, what else tells two series apart counts too: the
        description, the reconstruction kernel, the slice thickness and the
        acquisition number. Without them, a soft and a bone reconstruction or two
        series offset by half a slice merged into one volume of interleaved slices
        (two 2 mm series 1 mm apart: one 1 mm series of 40 slices). With a UID they
        are not asked: one series may hold several acquisitions (a step-and-shoot
        scan numbers each rotation).
        """
        iop = (
            None
            if (self.row_dir is None or self.col_dir is None)
            else tuple(np.round([*self.row_dir, *self.col_dir], 3))
        )
        spacing = None if self.pixel_spacing is None else tuple(np.round(self.pixel_spacing, 4))
        thickness = None if self.slice_thickness is None else round(self.slice_thickness, 3)
        recon = (
            ()
            if self.series_uid
            else (self.raw_description, self.kernel, thickness, self.acquisition)
        )
        return (
            self.series_uid,
            self.series_number,
            self.modality,
            self.rows,
            self.cols,
            iop,
            spacing,
            *recon,
        )


def looks_like_dicom(path: Path) -> bool:
    """True for a Part-10 file ('DICM' at byte 128) or a raw dataset starting with group 0008."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    if len(head) >= 132 and head[128:132] == b"DICM":
        return True
    return len(head) >= 8 and head[:2] == b"\x08\x00" and head[2:4] in (b"\x00\x00", b"\x05\x00")


def read_header(path: Path) -> pydicom.Dataset:
    """The dataset without pixel data; InputError when the file is not valid DICOM."""
    return read_header_and_pixels(path)[0]


def read_header_and_pixels(path: Path) -> tuple[pydicom.Dataset, PixelLocation | None]:
    """The dataset without pixel data, and where its native pixels are (when simple)."""
    try:
        with open(path, "rb") as fp, quiet_pydicom():
            ds = pydicom.dcmread(fp, stop_before_pixels=True, force=not _has_preamble(path))
            # pydicom stops right before the (7FE0,0010) tag: the pixel element header is next.
            return ds, _pixel_location(ds, fp.tell(), fp.read(12))
    except RescaleError as err:
        raise InputError(f"{path}: {err}") from None
    except Exception as err:  # pydicom raises many types on damaged files (bit flips)
        raise InputError(f"{path}: not a readable DICOM file ({_short(err)})") from err


def _pixel_location(ds: pydicom.Dataset, pos: int, element: bytes) -> PixelLocation | None:
    if len(element) < 8 or element[:4] != b"\xe0\x7f\x10\x00":
        return None
    meta = getattr(ds, "file_meta", None)
    ts = None if meta is None else meta.get("TransferSyntaxUID")
    if ts == ExplicitVRLittleEndian and element[4:6] in (b"OW", b"OB") and len(element) == 12:
        offset, length = pos + 12, int.from_bytes(element[8:12], "little")
    elif ts == ImplicitVRLittleEndian:
        offset, length = pos + 8, int.from_bytes(element[4:8], "little")
    else:
        return None
    bits = int(ds.get("BitsAllocated", 0) or 0)
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    if bits not in (8, 16) or int(ds.get("SamplesPerPixel", 1) or 1) != 1 or length == 0xFFFFFFFF:
        return None
    slope, intercept = rescale_pair(ds)
    return PixelLocation(
        offset=offset,
        length=length,
        dtype=f"<{'i' if signed else 'u'}{bits // 8}",
        bits_stored=int(ds.get("BitsStored", bits) or bits),
        slope=slope,
        intercept=intercept,
    )


class RescaleError(ValueError):
    """A rescale value that is present but is no number: the values would be wrong HU."""


def rescale_pair(ds: pydicom.Dataset) -> tuple[float, float]:
    """RescaleSlope (1 when absent or 0) and RescaleIntercept (0 when absent).

    Present but unreadable ('abc', NaN) is refused: reading it as 0 would label
    wrong values as HU.
    """
    out = []
    for tag, default in (("RescaleSlope", 1.0), ("RescaleIntercept", 0.0)):
        value = ds.get(tag)
        if value is None or value == "":
            out.append(default)
            continue
        number = _float_or_none(value)
        if number is None or not np.isfinite(number):
            raise RescaleError(f"{tag} {str(value)[:20]!r} is not a number")
        out.append(number)
    return (out[0] or 1.0), out[1]


_PYDICOM_LOG = logging.getLogger("pydicom")
# pydicom warns (UserWarning on stderr) for every value that breaks its VR's rules when
# reading; damaged headers are judged by our own checks and reported in words instead.
pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom\.")
_quiet_lock = threading.Lock()
_quiet_depth = 0
_loud_level = logging.NOTSET


@contextlib.contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's logger around our decode attempts.

    Its decoders log a traceback for every plugin that fails before another one
    succeeds or the read fails; we report the outcome in words instead. Reentrant
    and thread-safe: the logger is restored when the last user leaves.
    """
    global _quiet_depth, _loud_level
    with _quiet_lock:
        if _quiet_depth == 0:  # a level, not `disabled`: it reaches the child loggers too
            _loud_level = _PYDICOM_LOG.level
            _PYDICOM_LOG.setLevel(logging.CRITICAL + 1)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                _PYDICOM_LOG.setLevel(_loud_level)


def slice_header(
    path: Path, ds: pydicom.Dataset, pixels: PixelLocation | None = None
) -> SliceHeader:
    return SliceHeader(
        path=path,
        modality=str(ds.get("Modality", "") or "OT").upper(),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        series_number=_int_or_none(ds.get("SeriesNumber")),
        description=scrub_description(str(ds.get("SeriesDescription", "") or ""), ds),
        image_type=tuple(str(v).upper() for v in _as_list(ds.get("ImageType", []))),
        rows=int(ds.get("Rows", 0) or 0),
        cols=int(ds.get("Columns", 0) or 0),
        frames=_int_or_none(ds.get("NumberOfFrames")) or 1,
        position=_vector(ds.get("ImagePositionPatient"), 3),
        row_dir=_unit(_vector(ds.get("ImageOrientationPatient"), 6, 0)),
        col_dir=_unit(_vector(ds.get("ImageOrientationPatient"), 6, 3)),
        pixel_spacing=_pixel_spacing(ds),
        gantry_tilt=float(_float_or_none(ds.get("GantryDetectorTilt")) or 0.0),
        pixels=pixels,
        raw_description=str(ds.get("SeriesDescription", "") or "").strip(),
        kernel="\\".join(str(v).strip() for v in _as_list(ds.get("ConvolutionKernel"))),
        slice_thickness=_finite_or_none(ds.get("SliceThickness")),
        acquisition=_int_or_none(ds.get("AcquisitionNumber")),
    )


_NAME_LIKE = re.compile(r"[^\s^]+(?:\^[^\s^]*)+")  # DOE^JOHN: a DICOM person name
_DATE_LIKE = re.compile(r"\b(?:19|20)\d{2}[-./]?[01]\d[-./]?[0-3]\d\b")


def scrub_description(text: str, ds: pydicom.Dataset) -> str:
    """A free-text description with the patient's identifiers taken out.

    Operators type patient names into SeriesDescription. Every part of this file's
    PatientName, PatientID, birth date and accession number (3 characters or more)
    is replaced, and so are caret-joined names and dates, so `info` and the window
    can show the rest ("CT Body 3.0") without naming anyone.
    """
    text = text.strip()
    words: set[str] = set()
    for tag in (*IDENTIFIER_TAGS, "OtherPatientIDs", "PatientBirthName"):
        value = str(ds.get(tag, "") or "")
        words.update(w for w in re.split(r"[\^\s,]+", value) if len(w) >= 3)
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "***", text, flags=re.IGNORECASE)
    text = _NAME_LIKE.sub("***", text)
    return _DATE_LIKE.sub("***", text)


def identifiers(ds: pydicom.Dataset) -> dict[str, str]:
    """The patient identifiers a user may opt in to keep (and nothing else)."""
    return {tag: str(ds.get(tag, "") or "") for tag in IDENTIFIER_TAGS}


def _pixel_spacing(ds: pydicom.Dataset) -> tuple[float, float] | None:
    for tag in ("PixelSpacing", "ImagerPixelSpacing"):
        values = _vector(ds.get(tag), 2)
        if values is not None and np.all(values > 0):
            return (float(values[0]), float(values[1]))
    return None


def _has_preamble(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(132)
    return len(head) == 132 and head[128:] == b"DICM"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _vector(value: Any, n: int, start: int = 0) -> np.ndarray | None:
    items = _as_list(value)
    if len(items) < start + (3 if n == 6 else n):
        return None
    try:
        out = np.array([float(v) for v in items], dtype=float)
    except (TypeError, ValueError):
        return None
    if n == 6:
        return out[start : start + 3] if len(out) == 6 else None
    return out[:n] if len(out) == n and np.all(np.isfinite(out)) else None


def _unit(v: np.ndarray | None) -> np.ndarray | None:
    if v is None:
        return None
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-6 else None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _finite_or_none(value: Any) -> float | None:
    number = _float_or_none(value)
    return number if number is not None and np.isfinite(number) else None


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else type(err).__name__
