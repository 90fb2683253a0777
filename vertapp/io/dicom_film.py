"""Whether one DICOM file is a film (a 2-D projection radiograph) or part of a 3-D scan.

One rule for every reader and command that takes "a film or a CT" (`read_any` behind
`vertapp info` and the window, `vertapp predict`, `vertapp xray zoi / align / import`),
decided from the header alone, the strongest evidence first:

1. a 3-D modality (CT, MR, PT, NM): a slice of a scan, whatever SOP class an export wrote;
2. a projection modality (DX, CR, RF, XA, MG, PX, IO, RG): a film;
3. a projection SOP class (CR, DX, mammography, intra-oral, XA, XRF): a film, whatever
   modality an export or a PACS wrote (OT, blank);
4. a secondary capture of more than one frame: a stack of images, not a film;
5. a file that records where it lies in the patient (ImagePositionPatient or
   ImageOrientationPatient): a slice of a 3-D scan;
6. anything else, one 2-D image without patient geometry (a secondary capture, OT): a
   film, as scanned or exported films often come.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import uid

from vertapp.io.dicom_headers import RADIOGRAPH_MODALITIES, looks_like_dicom, read_header

SCAN_MODALITIES = {
    "CT": "a CT slice",
    "MR": "an MR slice",
    "PT": "a PET slice",
    "NM": "a nuclear medicine (NM) image",
}
PROJECTION_SOP_CLASSES = frozenset(
    {
        uid.ComputedRadiographyImageStorage,
        uid.DigitalXRayImageStorageForPresentation,
        uid.DigitalXRayImageStorageForProcessing,
        uid.DigitalMammographyXRayImageStorageForPresentation,
        uid.DigitalMammographyXRayImageStorageForProcessing,
        uid.DigitalIntraOralXRayImageStorageForPresentation,
        uid.DigitalIntraOralXRayImageStorageForProcessing,
        uid.XRayAngiographicImageStorage,
        uid.EnhancedXAImageStorage,
        uid.XRayRadiofluoroscopicImageStorage,
        uid.EnhancedXRFImageStorage,
    }
)
SECONDARY_CAPTURE = frozenset(
    {
        uid.SecondaryCaptureImageStorage,
        uid.MultiFrameSingleBitSecondaryCaptureImageStorage,
        uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
        uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
        uid.MultiFrameTrueColorSecondaryCaptureImageStorage,
    }
)
GEOMETRY_TAGS = ("ImagePositionPatient", "ImageOrientationPatient")


@dataclass(frozen=True)
class DicomKind:
    """`film`: read as a radiograph; `what`: the file in words, for a message
    ("a DX film", "a CT slice", "a slice of a 3-D scan (it records its ...)")."""

    film: bool
    what: str


def dicom_kind(ds: Any) -> DicomKind:
    """The module's rule applied to a dataset (its header is enough)."""
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if modality in SCAN_MODALITIES:
        return DicomKind(False, SCAN_MODALITIES[modality])
    if modality in RADIOGRAPH_MODALITIES:
        return DicomKind(True, f"a {modality} film")
    sop = _sop_class(ds)
    if sop in PROJECTION_SOP_CLASSES:
        return DicomKind(True, f"a film ({uid.UID(sop).name})")
    frames = _frames(ds)
    if sop in SECONDARY_CAPTURE and frames > 1:
        return DicomKind(False, f"a secondary capture of {frames} frames, not one film")
    geometry = [tag for tag in GEOMETRY_TAGS if tag in ds]
    if geometry:
        return DicomKind(False, f"a slice of a 3-D scan (it records its {' and '.join(geometry)})")
    return DicomKind(True, f"a 2-D {modality or 'DICOM'} image")


def dicom_file_kind(path: Path) -> DicomKind | None:
    """`dicom_kind` of a file's header; None for anything that is not a DICOM file (a
    folder, a PNG, a NIfTI). InputError for a DICOM file whose header cannot be read."""
    if not path.is_file() or not looks_like_dicom(path):
        return None
    return dicom_kind(read_header(path))


def _sop_class(ds: Any) -> str:
    """SOPClassUID, else the file meta's copy (some anonymisers empty one of them)."""
    sop = str(ds.get("SOPClassUID", "") or "").strip()
    meta = getattr(ds, "file_meta", None)
    if not sop and meta is not None:
        sop = str(meta.get("MediaStorageSOPClassUID", "") or "").strip()
    return sop


def _frames(ds: Any) -> int:
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return 1
