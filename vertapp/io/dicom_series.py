"""A DICOM folder (or one file of it) read as one CT volume.

Two passes. The header pass reads every file up to its pixel data, skips
what is not DICOM, and groups images into series. The chosen series (the CT
series with most slices, or the series of the file the user pointed at) is
ordered in space (`dicom_geometry`), then the pixel pass decodes only its
files, straight into one int16 HU array. Both passes yield per-file Progress.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vertapp.errors import InputError, ModalityError
from vertapp.io.dicom_geometry import (
    REL_TOLERANCE,
    SliceLayout,
    layout_slices,
    resample_positions,
    undo_tilt,
)
from vertapp.io.dicom_headers import (
    SliceHeader,
    identifiers,
    looks_like_dicom,
    read_header,
    read_header_and_pixels,
)
from vertapp.io.dicom_headers import slice_header as make_slice_header
from vertapp.io.dicom_pixels import modality_values, native_values
from vertapp.io.hu import HUConversion
from vertapp.io.orientation import array_to_lps, orientation_code
from vertapp.io.plausibility import volume_warnings
from vertapp.io.report import LoadReport
from vertapp.io.volume import Volume
from vertapp.jobs import Job, Progress

HEADER_SHARE = 0.35  # fraction of the progress bar spent on the header pass
OBLIQUE_DEG = 1.0
MIXED_SHARE = 0.25  # gaps of several slices (missing ones) in a series without a UID


@dataclass
class DicomScan:
    """Every DICOM image found, grouped into series."""

    source: str
    series: list[list[SliceHeader]] = field(default_factory=list)
    target: Path | None = None  # the file the user named, when they named one
    unreadable: int = 0

    def choose(self, require_ct: bool) -> tuple[list[SliceHeader], list[list[SliceHeader]]]:
        """The series to load and the others."""
        if self.target is not None:
            chosen = next(s for s in self.series if any(h.path == self.target for h in s))
        else:
            chosen = self._largest(require_ct)
        if require_ct and chosen[0].modality != "CT":
            raise ModalityError(
                f"{self.source}: holds {chosen[0].modality} ({_describe(chosen)}), not CT; "
                "the CT pipeline needs a CT volume"
            )
        return chosen, [s for s in self.series if s is not chosen]

    def _largest(self, require_ct: bool) -> list[SliceHeader]:
        stacks = [s for s in self.series if not s[0].is_localizer] or self.series
        ct = [s for s in stacks if s[0].modality == "CT"]
        if not ct and require_ct:
            found = "; ".join(_describe(s) for s in stacks[:4])
            raise ModalityError(
                f"{self.source}: no CT series found (found {found}); "
                "the CT pipeline needs a CT volume"
            )
        return max(ct or stacks, key=lambda s: len(s) * s[0].frames)


BACKUP_ONLY_HINT = "project.json.bak"  # a project whose save was interrupted, not a scan


def scan_job(path: Path) -> Job[DicomScan]:
    """Header pass over a folder (recursively) or over the folder of one named file."""
    target = path if path.is_file() else None
    folder = path.parent if target is not None else path
    files = [target] if target is not None else []
    files += sorted(p for p in _files_in(folder, recursive=target is None) if p != target)
    scan = DicomScan(source=str(path), target=target)
    groups: dict[tuple, list[SliceHeader]] = defaultdict(list)
    for i, file in enumerate(files):
        yield Progress(
            "Reading DICOM headers", HEADER_SHARE * i / len(files), f"file {i + 1}/{len(files)}"
        )
        header = _image_header(file, scan, is_target=file == target)
        if header is not None:
            groups[header.series_key()].append(header)
    if target is not None and not groups:
        raise InputError(f"{path}: not a DICOM image (no pixel data; the file may be truncated)")
    if (
        not groups
        and (folder / BACKUP_ONLY_HINT).is_file()
        and not (folder / "project.json").exists()
    ):
        raise InputError(
            f"{path}: a VertApp project folder whose project.json is missing; its previous "
            f"version {BACKUP_ONLY_HINT} is there (open the folder as a project to restore it)"
        )
    if not groups:
        what = "no readable DICOM images" if scan.unreadable else "no DICOM files"
        raise InputError(f"{path}: {what} found in folder")
    scan.series = list(groups.values())
    return scan


def series_volume_job(
    scan: DicomScan, *, keep_identifiers: bool = False, require_ct: bool = True
) -> Job[LoadReport]:
    """Pixel pass over the chosen series; returns the LPS int16 volume and its report."""
    chosen, others = scan.choose(require_ct)
    if len(chosen) < 2:
        raise ModalityError(
            f"{scan.source}: a single 2-D {chosen[0].modality} image "
            f"({chosen[0].cols}x{chosen[0].rows}), a 3-D volume is needed"
        )
    layout = layout_slices(chosen, scan.source)
    stack, conversion = yield from _read_pixels(layout, scan.source)
    warnings = _geometry_warnings(layout) + conversion.warnings() + layout.warnings
    warnings += _mixed_series_warning(layout)
    if scan.unreadable:
        warnings.append(f"{scan.unreadable} unreadable DICOM files were skipped")
    if layout.inplane_shift is not None:
        undo_tilt(stack, layout.inplane_shift, fill=_fill_value(stack, chosen[0].modality))
    if layout.targets is not None:
        stack = resample_positions(stack, layout.positions, layout.targets)
    volume = _assemble(stack, layout, warnings)
    volume.notes = conversion.notes()
    volume.modality = chosen[0].modality
    head = chosen[0]
    volume.series_description = head.raw_description if keep_identifiers else head.description
    volume.source = scan.source
    volume.other_series = [_describe(s) for s in others]
    volume.warnings += volume_warnings(volume)
    if keep_identifiers:
        volume.identifiers = identifiers(read_header(layout.headers[0].path))
    yield Progress("Reading DICOM", 1.0, "done")
    return LoadReport(volume, "DICOM series", _stored_code(layout), len(scan.series))


def _files_in(folder: Path, recursive: bool) -> list[Path]:
    entries = folder.rglob("*") if recursive else folder.iterdir()
    # Hidden files and folders (.git, .DS_Store, our own temporaries) are never images.
    visible = (
        p for p in entries if not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    return [p for p in visible if p.is_file()]


def _image_header(file: Path, scan: DicomScan, is_target: bool) -> SliceHeader | None:
    """The header of an image file; None for non-DICOM and non-image objects."""
    if not looks_like_dicom(file):
        return None
    try:
        header = make_slice_header(file, *read_header_and_pixels(file))
    except InputError:
        if is_target:
            raise
        scan.unreadable += 1
        return None
    if header.rows > 0 and header.cols > 0:
        return header
    if header.pixels is not None:  # pixel data of 0 rows or columns: a damaged image
        scan.unreadable += 1
    return None  # no image at all (a report, a presentation state)


def _read_pixels(layout: SliceLayout, source: str) -> Job[tuple[np.ndarray, HUConversion]]:
    first = layout.headers[0]
    n = len(layout.headers)
    stack = np.empty((n, first.rows, first.cols), dtype=np.int16)
    conversion = HUConversion()
    for k, header in enumerate(layout.headers):
        frac = HEADER_SHARE + (0.95 - HEADER_SHARE) * k / n
        yield Progress("Reading DICOM pixels", frac, f"file {k + 1}/{n}")
        stored = native_values(header)
        if stored is not None and header.pixels is not None:
            loc = header.pixels
            conversion.store_stored(stored, loc.slope, loc.intercept, stack[k], str(header.path))
            continue
        values = modality_values(header.path)
        if values.shape != stack.shape[1:]:
            raise InputError(f"{header.path}: image size {values.shape} differs from the series")
        conversion.store(values, stack[k], str(header.path))
    return stack, conversion


def _assemble(stack: np.ndarray, layout: SliceLayout, warnings: list[str]) -> Volume:
    first = layout.headers[0]
    assert first.pixel_spacing is not None and first.position is not None
    spacing = (first.pixel_spacing[1], first.pixel_spacing[0], layout.step)
    origin = (float(first.position[0]), float(first.position[1]), float(first.position[2]))
    array, lps_spacing, lps_origin, direction = array_to_lps(stack, spacing, origin, first.axes())
    return Volume(
        np.ascontiguousarray(array), lps_spacing, lps_origin, direction, warnings=warnings
    )


def _geometry_warnings(layout: SliceLayout) -> list[str]:
    first = layout.headers[0]
    out = []
    axis = int(np.argmax(np.abs(layout.normal)))
    if axis != 2:
        plane = "sagittal" if axis == 0 else "coronal"
        out.append(f"non-axial ({plane}) acquisition: reoriented to axial LPS order")
    axes = first.axes()
    worst = float(np.degrees(np.arccos(np.clip(np.abs(axes).max(axis=0).min(), -1, 1))))
    if worst > OBLIQUE_DEG:
        out.append(
            f"oblique acquisition ({worst:.1f} deg off the patient axes): "
            "kept as a rotation in the direction matrix"
        )
    return out


def _mixed_series_warning(layout: SliceLayout) -> list[str]:
    """Slices without a SeriesInstanceUID whose spacing is irregular: two series that
    nothing in their headers tells apart (same description, kernel, thickness,
    acquisition) may have been stacked into one. Irregular: a gap off the grid of the
    usual spacing, or over MIXED_SHARE of the gaps not that spacing (two series offset by
    a quarter of their spacing read as one series with every other slice missing); a
    slice or two missing is not."""
    if any(h.series_uid for h in layout.headers) or len(layout.positions) < 3:
        return []
    gaps = np.diff(layout.positions)
    tol = max(REL_TOLERANCE * layout.step, 1e-3)
    steps = np.maximum(np.rint(gaps / layout.step), 1)
    off_grid = np.abs(gaps - steps * layout.step) > tol
    if not off_grid.any() and np.mean(steps > 1) <= MIXED_SHARE:
        return []
    return [
        f"the slices carry no series ID (SeriesInstanceUID) and are unevenly spaced "
        f"({gaps.min():.2f} to {gaps.max():.2f} mm): two series may be mixed in one "
        "volume; look at it before trusting it, or give each series a folder of its own"
    ]


def _stored_code(layout: SliceLayout) -> str:
    return orientation_code(layout.headers[0].axes())


def _fill_value(stack: np.ndarray, modality: str) -> float:
    return -1024.0 if modality == "CT" else float(stack.min())


def _describe(series: list[SliceHeader]) -> str:
    """A line naming a series without identifiers: modality, description, image count."""
    head = series[0]
    description = head.description or "no description"
    count = len(series) * head.frames
    kind = " localizer" if head.is_localizer else ""
    return f"{head.modality}{kind} '{description}' ({count} images)"
