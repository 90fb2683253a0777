"""Does a DICOM SEG belong to this DICOM CT? Checked by UIDs before any voxel is compared.

A SEG names the frame of reference its geometry is in and the series it was drawn on.
A different frame of reference means another scan (or another patient): coordinates that
happen to overlap would place the vertebrae wrongly, so the import is refused. Another
series in the same frame of reference (a reconstruction of the same acquisition) only
gets a warning. Anonymised files without these UIDs are left to the geometric overlap
check (alignment.py).
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from vertapp.errors import InputError
from vertapp.io.dicom_headers import looks_like_dicom


def seg_references(seg: pydicom.Dataset) -> tuple[str, set[str]]:
    """(frame of reference UID, referenced series UIDs) of a SEG ('' / empty if absent)."""
    series = {
        str(item.get("SeriesInstanceUID", "")) for item in seg.get("ReferencedSeriesSequence", [])
    }
    return str(seg.get("FrameOfReferenceUID", "")), series - {""}


def ct_uids(ct: Path) -> tuple[set[str], set[str]]:
    """(frame of reference UIDs, series UIDs) of a DICOM CT file or folder (empty for
    other formats)."""
    files = sorted(p for p in ct.rglob("*") if p.is_file()) if ct.is_dir() else [ct]
    frames: set[str] = set()
    series: set[str] = set()
    for f in files:
        if not looks_like_dicom(f):
            continue
        try:
            ds = pydicom.dcmread(
                f,
                stop_before_pixels=True,
                specific_tags=["FrameOfReferenceUID", "SeriesInstanceUID"],
            )
        except (InvalidDicomError, OSError, ValueError):
            continue
        frames.add(str(ds.get("FrameOfReferenceUID", "")))
        series.add(str(ds.get("SeriesInstanceUID", "")))
    return frames - {""}, series - {""}


def check_seg_reference(seg: pydicom.Dataset, seg_name: str, ct: Path) -> list[str]:
    """InputError when the SEG's frame of reference is not the CT's; warnings otherwise."""
    frame, referenced = seg_references(seg)
    ct_frames, ct_series = ct_uids(ct)
    if frame and ct_frames and frame not in ct_frames:
        raise InputError(
            f"{seg_name}: the SEG is in another frame of reference than the CT {ct.name} "
            "(drawn on another scan)"
        )
    if referenced and ct_series and not referenced & ct_series:
        return [
            f"{seg_name}: the SEG was drawn on another series than {ct.name} (same frame "
            "of reference): check that it fits"
        ]
    return []
