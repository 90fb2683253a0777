"""The public reading functions: one entry point per question a caller asks.

`read_volume` wants a CT volume, `read_radiograph` a 2-D projection,
`read_any` whatever the input holds. Each has a `*_job` twin yielding
Progress for the GUI; the plain functions just drain the job. Every failure a
user can cause is a `VertAppError` with one line naming the input.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TypeVar

import numpy as np
import SimpleITK as sitk

from vertapp.errors import InputError, ModalityError, VertAppError
from vertapp.io.dicom_film import dicom_kind
from vertapp.io.dicom_headers import RADIOGRAPH_MODALITIES, read_header, slice_header
from vertapp.io.dicom_series import DicomScan, scan_job, series_volume_job
from vertapp.io.file_kinds import VOLUME_SUFFIXES, Kind, kind_of
from vertapp.io.image_volume import read_image_volume, read_sitk_image
from vertapp.io.radiograph_files import (
    radiograph_from_image,
    read_dicom_radiograph,
    read_image_radiograph,
)
from vertapp.io.report import LoadReport
from vertapp.io.volume import Radiograph, Volume
from vertapp.jobs import Job, Progress, run_job

PathLike = str | os.PathLike[str]
T = TypeVar("T")
log = logging.getLogger(__name__)


def read_volume(
    path: PathLike, *, keep_identifiers: bool = False, require_ct: bool = True
) -> Volume:
    """A volume file or DICOM folder as an LPS int16 HU `Volume`."""
    return run_job(read_volume_job(path, keep_identifiers=keep_identifiers, require_ct=require_ct))


def read_volume_job(
    path: PathLike, *, keep_identifiers: bool = False, require_ct: bool = True
) -> Job[Volume]:
    """`read_volume` yielding Progress (per file for DICOM)."""
    report = yield from load_volume_job(
        path, keep_identifiers=keep_identifiers, require_ct=require_ct
    )
    assert isinstance(report.image, Volume)
    return report.image


def load_volume_job(
    path: PathLike, *, keep_identifiers: bool = False, require_ct: bool = True
) -> Job[LoadReport]:
    """Like `read_volume_job`, returning the `LoadReport` (stored orientation, series count)."""
    path = Path(path)
    job = _load_volume_job(path, keep_identifiers, require_ct)
    return (yield from fenced(job, path))


def _load_volume_job(path: Path, keep_identifiers: bool, require_ct: bool) -> Job[LoadReport]:
    kind = kind_of(path)
    yield Progress("Reading", 0.0, kind.words)
    if kind is Kind.FOLDER:
        scan = yield from scan_job(path)
        return (yield from _series_volume(scan, keep_identifiers, require_ct))
    if kind is Kind.DICOM:
        return (yield from _dicom_file_volume(path, keep_identifiers, require_ct))
    if kind is Kind.IMAGE:
        shape = read_image_radiograph(path).shape
        raise ModalityError(
            f"{path}: is a 2-D image ({shape[1]}x{shape[0]}); a 3-D volume is needed"
        )
    report = read_image_volume(path)
    yield Progress("Reading", 1.0, "done")
    return report


def read_radiograph(path: PathLike, *, keep_identifiers: bool = False) -> Radiograph:
    """A DX/CR/single-frame DICOM or a PNG/JPEG/TIFF file as a `Radiograph` (bone bright)."""
    report = run_job(load_any_job(path, keep_identifiers=keep_identifiers, require_ct=False))
    if not isinstance(report.image, Radiograph):
        volume = report.image
        raise ModalityError(
            f"{path}: is a 3-D volume ({volume.describe()}); a 2-D radiograph is needed"
        )
    return report.image


def read_any(
    path: PathLike, *, keep_identifiers: bool = False, require_ct: bool = True
) -> Volume | Radiograph:
    """A `Volume` or a `Radiograph`, whichever the input holds."""
    report = run_job(load_any_job(path, keep_identifiers=keep_identifiers, require_ct=require_ct))
    return report.image


def load_any(path: PathLike, *, require_ct: bool = False) -> LoadReport:
    """What `vertapp info` shows: the image and how it was stored (no identifiers)."""
    return run_job(load_any_job(path, require_ct=require_ct))


def load_any_job(
    path: PathLike, *, keep_identifiers: bool = False, require_ct: bool = True
) -> Job[LoadReport]:
    path = Path(path)
    return (yield from fenced(_load_any_job(path, keep_identifiers, require_ct), path))


def _load_any_job(path: Path, keep_identifiers: bool, require_ct: bool) -> Job[LoadReport]:
    kind = kind_of(path)
    yield Progress("Reading", 0.0, kind.words)
    if kind is Kind.IMAGE:
        return LoadReport(read_image_radiograph(path), "image file")
    if kind is Kind.VOLUME_FILE:
        image = read_sitk_image(path)
        if image.GetDimension() == 2:
            return LoadReport(radiograph_from_image(image, path), "image file")
        if image.GetDimension() == 3 and image.GetSize()[2] == 1:
            return LoadReport(radiograph_from_image(image[:, :, 0], path), "image file")
        return read_image_volume(path, image=image)
    if kind is Kind.DICOM and _is_radiograph_file(path):
        return LoadReport(read_dicom_radiograph(path, keep_identifiers=keep_identifiers), "DICOM")
    if kind is Kind.DICOM:
        return (yield from _dicom_file_volume(path, keep_identifiers, require_ct, allow_2d=True))
    scan = yield from scan_job(path)
    return (yield from _series_volume(scan, keep_identifiers, require_ct, allow_2d=True))


def fenced(job: Job[T], path: Path) -> Job[T]:
    """`job`, with any failure that is not ours turned into one InputError naming `path`.

    The readers check what they know to check; a damaged file can still trip a
    library somewhere (a bit flip in a header, a codec's own exception). The user
    gets a line in words, the log the traceback.
    """
    try:
        return (yield from job)
    except VertAppError:
        raise
    except MemoryError:
        raise InputError(f"{path}: too large for the memory available") from None
    except Exception as err:
        log.debug("reading %s failed", path.name, exc_info=True)
        text = str(err).strip().splitlines()
        reason = f"{type(err).__name__}: {text[0][:100]}" if text else type(err).__name__
        raise InputError(f"{path}: cannot be read ({reason})") from err


def write_volume(volume: Volume, path: PathLike) -> None:
    """Save as NIfTI (.nii/.nii.gz), MetaImage (.mha/.mhd) or NRRD (.nrrd); LPS geometry kept.

    The write is atomic: a failed or killed write leaves the previous file (or none),
    never half a file. See _write_detached for a header (.mhd) with its data file.
    """
    path = Path(path)
    if not path.name.lower().endswith(VOLUME_SUFFIXES):
        raise InputError(f"{path}: unknown volume format (use .nii, .nii.gz, .mha, .mhd or .nrrd)")
    path.parent.mkdir(parents=True, exist_ok=True)
    image = sitk.GetImageFromArray(np.ascontiguousarray(volume.array))
    image.SetSpacing(volume.spacing)
    image.SetOrigin(volume.origin)
    image.SetDirection([float(v) for v in volume.direction.reshape(9)])
    try:
        if path.name.lower().endswith((".mhd", ".nhdr")):
            _write_detached(image, path)
        else:  # one file: write it beside the target, then rename it into place
            tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
            try:
                sitk.WriteImage(image, str(tmp), useCompression=path.name.lower().endswith(".gz"))
                _fsync(tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
    except (RuntimeError, OSError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[-1]
        raise InputError(f"{path}: cannot write volume ({reason})") from err


def _write_detached(image: sitk.Image, path: Path) -> None:
    """A header (.mhd/.nhdr) and the data file it names (.raw), written whole or not at all.

    Both are written under their final names in a temp folder beside `path` (the header
    names its data file by bare name, so nothing needs rewriting), then renamed into place:
    the old header is removed first, the data file goes next and the new header last. The
    header is the commit mark: a write killed part-way leaves the old pair, or a data file
    without a header, never a header beside data it does not describe. Each file is only
    ever complete or absent.
    """
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".tmp-{path.name}-", dir=path.parent))
    try:
        header = tmp_dir / path.name
        sitk.WriteImage(image, str(header))
        data = [f for f in tmp_dir.iterdir() if f != header]
        for f in (*data, header):
            _fsync(f)
        path.unlink(missing_ok=True)
        for f in data:
            os.replace(f, path.with_name(f.name))
        os.replace(header, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _fsync(path: Path) -> None:
    """Flush a written file to disk before it is renamed into place (power cut safety)."""
    fd = os.open(path, os.O_RDWR)  # Windows' fsync needs a writable handle
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _series_volume(
    scan: DicomScan, keep_identifiers: bool, require_ct: bool, allow_2d: bool = False
) -> Job[LoadReport]:
    candidate, _ = scan.choose(require_ct=False)
    if len(candidate) == 1 and candidate[0].frames > 1:
        return _multiframe_volume(
            candidate[0].path, candidate[0].modality, require_ct, len(scan.series)
        )
    if allow_2d and len(candidate) == 1:
        image = read_dicom_radiograph(candidate[0].path, keep_identifiers=keep_identifiers)
        return LoadReport(image, "DICOM", series_found=len(scan.series))
    return (
        yield from series_volume_job(scan, keep_identifiers=keep_identifiers, require_ct=require_ct)
    )


def _dicom_file_volume(
    path: Path, keep_identifiers: bool, require_ct: bool, allow_2d: bool = False
) -> Job[LoadReport]:
    header = slice_header(path, read_header(path))
    if header.modality in RADIOGRAPH_MODALITIES and not allow_2d:
        raise ModalityError(
            f"{path}: is a 2-D {header.modality} radiograph ({header.cols}x{header.rows}); "
            "a 3-D volume is needed"
        )
    if header.frames > 1:
        return _multiframe_volume(path, header.modality, require_ct, 1)
    scan = yield from scan_job(path)
    return (yield from _series_volume(scan, keep_identifiers, require_ct, allow_2d))


def _multiframe_volume(
    path: Path, modality: str, require_ct: bool, series_found: int
) -> LoadReport:
    if require_ct and modality != "CT":
        raise ModalityError(f"{path}: holds {modality}, not CT; the CT pipeline needs a CT volume")
    report = read_image_volume(path, modality=modality, fmt="DICOM multi-frame")
    report.series_found = series_found
    return report


def _is_radiograph_file(path: Path) -> bool:
    """The io rule for one DICOM file (`dicom_film`): film, or a slice of a scan."""
    return dicom_kind(read_header(path)).film
