"""Background jobs of the 3D labels (no widgets here): overlay update and export.

They only chain `vertapp.backproject`'s own jobs so one worker reports one progress:
prepare the CT once (`BackProjector.prepare_job`), label the masks in 3D (`job`, with the
last result so an edit recomputes only its slab), and for File > Export 3D labels also
read the CT file's stored orientation and write the files (`export_job`).

A project image's CT is the project's LPS copy (volumes/<name>.nii.gz), not the scan's
own file, whose path the project does not keep (it may name the patient). `CtSource` says
which it is; for a copy the export puts the NIfTI back on the original's grid from the
orientation the import recorded, or reads the original the user chose (only reads it,
after checking it holds the same voxels), as `vertapp backproject` does with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.annotations.geometry import polygons_to_mask
from vertapp.annotations.model import ImageRecord, Instance
from vertapp.backproject import BackProjection, BackProjector, footprint_from_masks
from vertapp.backproject.export import export_job, not_the_same_ct
from vertapp.errors import InputError
from vertapp.io.file_kinds import Kind, kind_of
from vertapp.jobs import Job, Progress, sub_job
from vertapp.labels import VERTEBRA_ID

NIFTI_NAME = "vertebrae_3d"  # neutral: never the scan's file name (it may name the patient)
COPY_NAME = f"{NIFTI_NAME}_lps_copy"  # on the project copy's grid, not the original's
_AXES = ("RL", "AP", "SI")


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
    original: Path | None = None  # the scan's own file or series, when the CT is a copy

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


@dataclass(frozen=True)
class CtSource:
    """What the CT on screen was read from, as the export needs it.

    `copy`: the project's LPS copy of the scan (its own file lies elsewhere, unknown);
    then `orientation` is how the original was stored ("" when the project does not say:
    images imported or saved before it was recorded) and `original_dicom` whether it was
    a DICOM series (None: unknown)."""

    dicom: bool = False  # read from a DICOM series this session: a SEG can reference it
    copy: bool = False
    orientation: str = ""
    original_dicom: bool | None = None

    @property
    def on_copy_grid(self) -> bool:
        """Without an original chosen, the NIfTI lies on the copy's LPS grid."""
        return self.copy and not self.orientation


def ct_source(volume: Any, rec: ImageRecord | None, root: Path | None) -> CtSource:
    """`CtSource` of `volume`, shown for image `rec` of the project in `root`."""
    source = str(getattr(volume, "source", "") or "")
    if rec is None or root is None or not rec.source_path or not source:
        return CtSource(dicom=is_dicom(volume))
    copy = os.path.realpath(root / rec.source_path) == os.path.realpath(source)
    if not copy:  # opened from its own file this session, kept in memory
        return CtSource(dicom=is_dicom(volume))
    meta = rec.extra.get("vertapp")
    facts = meta.get("import") if isinstance(meta, Mapping) else None
    facts = facts if isinstance(facts, Mapping) else {}  # a hand-edited file: unknown
    dicom = facts.get("ct_dicom")
    return CtSource(
        copy=True,
        orientation=_orientation_code(facts.get("ct_stored_orientation")),
        original_dicom=dicom if isinstance(dicom, bool) else None,
    )


def _orientation_code(value: object) -> str:
    """An orientation code read from the project file ('PIR'), '' when it is none (a
    bad one would make DICOMOrient fail, or put the labels on a grid nobody has)."""
    code = value.upper() if isinstance(value, str) else ""
    axes = sorted(next((a for a in _AXES if c in a), "") for c in code)
    return code if len(code) == 3 and axes == sorted(_AXES) else ""


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
    source: CtSource | None = None,
) -> Job[list[Path]]:
    """Labels for `footprint` (reusing `previous` when it is for the same masks), then files.

    The CT's own file (or the original the user chose) is read first: a wrong original
    fails before the slow labelling, not after it."""
    source = source or CtSource(dicom=is_dicom(volume))
    _check_seg(choice, source)
    _not_an_input(choice, volume)
    _writable_folder(choice.folder)
    yield Progress("export", 0.0, "the CT file's grid")
    grid = yield from sub_job(_export_grid(volume, choice, source), 0.0, 0.2)
    if previous is not None and previous.footprint is not None and projector is not None:
        same = np.array_equal(previous.footprint, footprint)
    else:
        same = False
    if same:
        bp = previous
    else:
        done = yield from sub_job(labels_job(projector, volume, mip, footprint, previous), 0.2, 0.8)
        bp = done.labels
    assert bp is not None
    paths = yield from sub_job(
        export_job(
            bp,
            grid.volume,
            choice.nifti,
            stored_orientation=grid.orientation,
            centroids=choice.centroids_path,
            seg=choice.seg_path,
            dicom_source=grid.series if choice.seg else None,
            keep_identifiers=choice.keep_identifiers,
        ),
        0.8,
        1.0,
    )
    return paths


def _check_seg(choice: ExportChoice, source: CtSource) -> None:
    """Refuse a SEG without a series to reference before anything is computed."""
    if not choice.seg or choice.original is not None:
        return  # a chosen original is checked once read
    if source.copy:
        raise InputError(
            "a DICOM SEG must reference the original DICOM series, and the project keeps "
            "only a copy of the CT: choose the series as the original CT"
        )
    if not source.dicom:
        raise InputError("a DICOM SEG needs the CT read from a DICOM series (open its folder)")


def _not_an_input(choice: ExportChoice, volume: Any) -> None:
    """The CT files are only read: no output may replace one or go into a DICOM series."""
    inputs = [Path(p) for p in (choice.original, getattr(volume, "source", "")) if p]
    for out in choice.paths():
        for src in (p for p in inputs if p.exists()):
            real_src, real_out = os.path.realpath(src), os.path.realpath(out)
            inside = src.is_dir() and os.path.commonpath([real_src, real_out]) == real_src
            if real_out == real_src or inside:
                raise InputError(
                    f"{out.name}: would be written over or into the CT it is read from; "
                    "choose another folder or name"
                )


@dataclass
class _Grid:
    """What the files are written on: the volume's geometry, the code its file was stored
    in, and the DICOM series a SEG references (None: none)."""

    volume: Any
    orientation: str
    series: Path | None


def _export_grid(volume: Any, choice: ExportChoice, source: CtSource) -> Job[_Grid]:
    if choice.original is not None:
        report = yield from _original_job(volume, choice.original)
        dicom = kind_of(choice.original) in (Kind.FOLDER, Kind.DICOM)
        if choice.seg and not dicom:
            raise InputError(
                "a DICOM SEG needs a DICOM series, and the chosen original CT is a file "
                f"({report.format})"
            )
        return _Grid(
            report.image, str(report.stored_orientation), choice.original if dicom else None
        )
    if source.copy:  # the recorded orientation undoes the copy's reorientation
        return _Grid(volume, source.orientation, None)
    stored = yield from _stored_orientation(volume)
    return _Grid(volume, stored, Path(volume.source) if source.dicom else None)


def _original_job(volume: Any, path: Path) -> Job[Any]:
    """The LoadReport of the original the user chose, refused unless it holds exactly the
    voxels of the copy on screen (on the same LPS grid): another scan would put the labels
    on the wrong patient."""
    from vertapp.io.readers import load_volume_job
    from vertapp.io.volume import Volume

    report = yield from load_volume_job(path)
    orig = report.image
    why = not_the_same_ct(orig, volume) if isinstance(orig, Volume) else "not a 3-D volume"
    if why:
        raise InputError(f"the chosen original CT is not this image's CT ({why})")
    return report


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
