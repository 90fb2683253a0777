"""Background jobs of the 3D labels (no widgets here): overlay update and export.

They only chain `vertapp.backproject`'s own jobs so one worker reports one progress:
prepare the CT once (`BackProjector.prepare_job`), label the masks in 3D (`job`, with the
last result so an edit recomputes only its slab), and for File > Export 3D labels also
read the CT file's stored orientation and write the files (`export_job`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.geometry import polygons_to_mask
from vertapp.annotations.model import ImageRecord, Instance
from vertapp.backproject import BackProjection, BackProjector, footprint_from_masks
from vertapp.backproject.export import export_job
from vertapp.errors import InputError
from vertapp.io.file_kinds import Kind, kind_of
from vertapp.jobs import Job, Progress, sub_job
from vertapp.labels import VERTEBRA_ID

NIFTI_NAME = "vertebrae_3d"  # neutral: never the scan's file name (it may name the patient)


@dataclass
class Labelled:
    """What an overlay run hands back: the (possibly new) projector and its labels."""

    projector: BackProjector
    labels: BackProjection


def footprint_of(rec: ImageRecord, keep: Callable[[Instance], bool] | None = None) -> np.ndarray:
    """The footprint (`vertapp.backproject.footprint`) of an image's vertebra masks
    (`keep`: which instances count, e.g. not the predictions hidden below the threshold)."""
    masks = [
        (inst.label, polygons_to_mask(inst.polygons, rec.height, rec.width, inst.holes))
        for inst in rec.instances
        if inst.label in VERTEBRA_ID and (keep is None or keep(inst))
    ]
    return footprint_from_masks(masks, (rec.height, rec.width))


def labels_job(
    projector: BackProjector | None,
    volume: Any,
    mip: Any,
    footprint: np.ndarray,
    previous: BackProjection | None,
) -> Job[Labelled]:
    """Prepare the CT when not yet done, then the 3D labels of `footprint`."""
    if projector is None:
        projector = yield from sub_job(BackProjector.prepare_job(volume, mip), 0.0, 0.5)
        previous = None  # a result of another projector cannot seed this one
    bp = yield from sub_job(projector.job(footprint, previous), 0.5, 1.0)
    return Labelled(projector, bp)


@dataclass(frozen=True)
class ExportChoice:
    """What File > Export 3D labels… writes into `folder`."""

    folder: Path
    stem: str = NIFTI_NAME
    centroids: bool = True
    seg: bool = False
    keep_identifiers: bool = False

    @property
    def nifti(self) -> Path:
        return self.folder / f"{self.stem}.nii.gz"

    @property
    def centroids_path(self) -> Path | None:
        return self.folder / f"{self.stem}_centroids.json" if self.centroids else None

    @property
    def seg_path(self) -> Path | None:
        return self.folder / f"{self.stem}_seg.dcm" if self.seg else None

    def paths(self) -> list[Path]:
        return [p for p in (self.nifti, self.centroids_path, self.seg_path) if p is not None]


def is_dicom(volume: Any) -> bool:
    """Whether the CT was read from DICOM (only then can a SEG reference its series)."""
    source = getattr(volume, "source", "")
    return (
        bool(source)
        and Path(source).exists()
        and kind_of(Path(source)) in (Kind.FOLDER, Kind.DICOM)
    )


def export_labels_job(
    projector: BackProjector | None,
    volume: Any,
    mip: Any,
    footprint: np.ndarray,
    previous: BackProjection | None,
    choice: ExportChoice,
) -> Job[list[Path]]:
    """Labels for `footprint` (reusing `previous` when it is for the same masks), then files."""
    if choice.seg and not is_dicom(volume):
        raise InputError("a DICOM SEG needs the CT read from a DICOM series (open its folder)")
    _writable_folder(choice.folder)
    if previous is not None and previous.footprint is not None and projector is not None:
        same = np.array_equal(previous.footprint, footprint)
    else:
        same = False
    if same:
        bp = previous
    else:
        done = yield from sub_job(labels_job(projector, volume, mip, footprint, previous), 0, 0.7)
        bp = done.labels
    assert bp is not None
    yield Progress("export", 0.7, "the CT file's orientation")
    stored = yield from _stored_orientation(volume)
    paths = yield from sub_job(
        export_job(
            bp,
            volume,
            choice.nifti,
            stored_orientation=stored,
            centroids=choice.centroids_path,
            seg=choice.seg_path,
            dicom_source=volume.source if choice.seg else None,
            keep_identifiers=choice.keep_identifiers,
        ),
        0.75,
        1.0,
    )
    return paths


def _writable_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{folder}: cannot create the export folder ({err.strerror})") from None
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")


def _stored_orientation(volume: Any) -> Job[str]:
    """The axis code of the CT as it lies in its file, so the NIfTI has the file's grid.

    The window keeps only the LPS-reoriented volume; the file is read again (in this
    worker) to learn how it was stored. A file gone since it was opened gives LPS."""
    from vertapp.io.readers import load_volume_job

    source = getattr(volume, "source", "")
    if not source or not Path(source).exists():
        return ""
    report = yield from load_volume_job(source)
    if tuple(report.image.shape) != tuple(volume.shape):
        raise InputError("the CT file changed since it was opened: open it again to export")
    return str(report.stored_orientation)
