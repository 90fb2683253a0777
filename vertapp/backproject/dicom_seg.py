"""The 3D labels as a DICOM Segmentation (highdicom) that references the source CT series.

One segment per vertebra present (coded with SNOMED CT "T12 vertebra" etc.), one frame per
source slice that holds labels; every frame names the source instance it lies on, so a
viewer or PACS shows it over the right slices. Only a CT read from a DICOM series can be
referenced: each source slice must lie exactly on a slice of the volume (a gantry-tilted
or irregular series that the reader resampled cannot, and gets a clear error).

Identifiers: DICOM requires the patient and study modules, and highdicom copies them from
the source. Unless the caller opts in, the patient's name, IDs, birth date, age, sex,
size, weight and address, the study's ID, date and time, the accession number, the
referring physician and the institution (also in the contributing-equipment item) are
blanked (the study/series UIDs stay: they are what links the SEG to its CT).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from vertapp import __version__
from vertapp.backproject.files import atomic_write
from vertapp.errors import InputError
from vertapp.io.dicom_headers import IDENTIFIER_TAGS, looks_like_dicom
from vertapp.io.volume import Volume
from vertapp.labels import ID_VERTEBRA

log = logging.getLogger(__name__)

TYPE2_COPIED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyID",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ReferringPhysicianName",
)
BLANKED = (
    *IDENTIFIER_TAGS,
    "ReferringPhysicianName",
    "OtherPatientIDs",
    "PatientAddress",
    # dates and demographic details narrow a patient down as well (HIPAA Safe Harbor
    # counts dates and ages; a study ID and the hospital's name point to the record)
    "PatientAge",
    "PatientSex",
    "PatientSize",
    "PatientWeight",
    "StudyID",
    "StudyDate",
    "StudyTime",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
)


def source_datasets(volume: Volume, folder: str | Path) -> list[pydicom.Dataset]:
    """Headers of the series in `folder` whose slices lie on `volume`'s slices, in order
    along the axis they stack on."""
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    series: dict[str, list[pydicom.Dataset]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if not looks_like_dicom(path):
            continue
        ds = _with_uids(pydicom.dcmread(path, stop_before_pixels=True))
        if "ImagePositionPatient" in ds and getattr(ds, "Modality", "") == "CT":
            series.setdefault(str(ds.SeriesInstanceUID), []).append(ds)
    for datasets in series.values():
        axis = _stack_axis(volume, datasets)
        if len(datasets) == volume.shape[axis]:
            try:
                return sorted(datasets, key=lambda d: _slice_index(volume, d, axis))
            except InputError:
                continue
    raise InputError(
        f"{folder}: no CT series whose slices match the volume ({volume.shape[0]} slices); "
        "a DICOM SEG can only reference the series the CT was read from"
    )


def _stack_axis(volume: Volume, datasets: list[pydicom.Dataset]) -> int:
    """The volume axis the series' slices follow one another along: 0 for an axial
    series; a sagittal or coronal one, read by a pure swap of axes, stacks along another
    (its SEG was refused as "not the series the CT was read from")."""
    idx = np.array(
        [volume.lps_to_index(np.asarray(d.ImagePositionPatient, float)) for d in datasets]
    )
    return int(np.argmax(np.ptp(idx, axis=0))) if len(idx) > 1 else 0


def _with_uids(ds: pydicom.Dataset) -> pydicom.Dataset:
    """Some anonymisers empty SOPClassUID/SOPInstanceUID in the dataset and leave them only
    in the file meta; the SEG must reference them, so take them from there. Missing type-2
    patient/study attributes are added empty (in memory only)."""
    meta = getattr(ds, "file_meta", None)
    for tag, meta_tag in (
        ("SOPClassUID", "MediaStorageSOPClassUID"),
        ("SOPInstanceUID", "MediaStorageSOPInstanceUID"),
    ):
        if not str(ds.get(tag, "") or "") and meta is not None and meta.get(meta_tag):
            setattr(ds, tag, meta.get(meta_tag))
    for tag in TYPE2_COPIED:  # highdicom copies these; writers and anonymisers drop them
        if tag not in ds:
            setattr(ds, tag, "")
    return ds


def _slice_index(volume: Volume, ds: pydicom.Dataset, axis: int = 0) -> int:
    k = volume.lps_to_index(np.asarray(ds.ImagePositionPatient, float))[axis]
    if abs(k - round(k)) > 0.05:
        raise InputError("source slice between volume slices")
    return int(round(k))


def frame_of(labels: np.ndarray, volume: Volume, ds: pydicom.Dataset) -> np.ndarray:
    """The labels on one source slice, in its (row, column) pixel order."""
    rows, cols = int(ds.Rows), int(ds.Columns)
    iop = np.asarray(ds.ImageOrientationPatient, float)
    drow, dcol = (float(v) for v in ds.PixelSpacing)  # between rows, between columns
    ipp = np.asarray(ds.ImagePositionPatient, float)
    # the pixel grid is affine in volume indices: its corner and its row/column steps
    pts = volume.lps_to_index(
        np.array(
            [
                ipp,
                ipp + dcol * iop[:3],
                ipp + drow * iop[3:],
                ipp + (cols - 1) * dcol * iop[:3] + (rows - 1) * drow * iop[3:],
            ]
        )
    )
    near = np.rint(pts).astype(int)
    if (
        np.abs(pts - near).max() > 0.05
        or near.min() < 0
        or np.any(near.max(axis=0) >= volume.shape)
    ):
        raise InputError(
            "the DICOM series does not lie on the volume's grid (tilted or resampled on "
            "reading): write the NIfTI instead"
        )
    o, ec, er = near[0], near[1] - near[0], near[2] - near[0]
    r, c = np.ogrid[0:rows, 0:cols]
    return labels[
        o[0] + c * ec[0] + r * er[0], o[1] + c * ec[1] + r * er[1], o[2] + c * ec[2] + r * er[2]
    ]


def seg_warnings(datasets: list[pydicom.Dataset]) -> list[str]:
    """What the user must know about a SEG over `datasets` that is written all the same."""
    first = datasets[0]
    if not str(first.get("StudyInstanceUID", "")) or not str(first.get("SeriesInstanceUID", "")):
        return [
            "the CT series has no study or series UID (an anonymiser removed them): the "
            "SEG is written, but a PACS cannot file it with its CT"
        ]
    return []


def build_seg(
    labels: np.ndarray,
    volume: Volume,
    datasets: list[pydicom.Dataset],
    *,
    keep_identifiers: bool = False,
) -> hd.seg.Segmentation:
    """A highdicom Segmentation of `labels` (our ids on `volume`'s grid) over `datasets`."""
    present = [int(v) for v in np.unique(labels) if v]
    if not present:
        raise InputError("no vertebra labels to write")
    lut = np.zeros(256, np.uint8)
    lut[present] = np.arange(1, len(present) + 1)
    frames = np.stack([lut[frame_of(labels, volume, ds)] for ds in datasets])
    algorithm = hd.AlgorithmIdentificationSequence(
        name="VertApp back-projection",
        family=codes.cid7162.MorphologicalOperations,
        version=__version__,
    )
    segments = [
        hd.seg.SegmentDescription(
            segment_number=n,
            segment_label=ID_VERTEBRA[v],
            segmented_property_category=codes.SCT.AnatomicalStructure,
            segmented_property_type=getattr(codes.SCT, f"{ID_VERTEBRA[v]}Vertebra"),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.SEMIAUTOMATIC,
            algorithm_identification=algorithm,
        )
        for n, v in enumerate(present, start=1)
    ]
    seg = hd.seg.Segmentation(
        source_images=datasets,
        pixel_array=frames,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=segments,
        series_instance_uid=generate_uid(),
        series_number=900,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="VertApp",
        manufacturer_model_name="VertApp",
        software_versions=__version__,
        device_serial_number="none",
        series_description="vertebrae from MIP masks",
    )
    if not keep_identifiers:
        _blank(seg)
    return seg


def _blank(ds: pydicom.Dataset) -> None:
    """Empty every BLANKED attribute, also inside sequences (the contributing equipment
    item names the source's institution); empty keeps the SEG valid (type 2 attributes)."""
    for tag in BLANKED:
        if tag in ds:
            setattr(ds, tag, "")
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                _blank(item)


def write_seg(
    labels: np.ndarray,
    volume: Volume,
    series_folder: str | Path,
    path: str | Path,
    *,
    keep_identifiers: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Build the SEG against the series in `series_folder` and write it atomically.

    `warn`: where `seg_warnings` go (the command line: stderr); None: the log (the
    window's). Not both: the command line's console shows the log too."""
    datasets = source_datasets(volume, series_folder)
    seg = build_seg(labels, volume, datasets, keep_identifiers=keep_identifiers)
    for warning in seg_warnings(datasets):
        (warn or log.warning)(warning)
    return atomic_write(Path(path), lambda tmp: seg.save_as(tmp))
