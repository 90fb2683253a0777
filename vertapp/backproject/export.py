"""Write every requested output of a back-projection in one job (CLI and File > Export).

The NIfTI always; VerSe centroids and the DICOM SEG when a path is given. The SEG needs the
DICOM series the CT was read from (`dicom_source`: its folder or one of its files).
`not_the_same_ct` tells whether a scan read again is the one the labels were made on (the
window labels a project's LPS copy, then writes on the original the user points to).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from vertapp.backproject.files import label_image, write_centroids, write_nifti
from vertapp.backproject.job import BackProjection
from vertapp.errors import InputError
from vertapp.io.volume import Volume
from vertapp.jobs import Job, Progress


def export_job(
    bp: BackProjection,
    volume: Volume,
    nifti: str | Path,
    *,
    stored_orientation: str = "",
    centroids: str | Path | None = None,
    seg: str | Path | None = None,
    dicom_source: str | Path | None = None,
    keep_identifiers: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Job[list[Path]]:
    """Write the outputs; returns the paths written. `stored_orientation`: the CT file's
    orientation code (`LoadReport.stored_orientation`), so the NIfTI has its grid.
    `warn`: where doubts about a file written go (a SEG no PACS can file), None: the log."""
    if seg is not None and dicom_source is None:
        raise InputError("a DICOM SEG needs the CT read from a DICOM series")
    yield Progress("export", 0.0, "NIfTI")
    image = label_image(bp.labels, volume, stored_orientation)
    written = [write_nifti(image, nifti)]
    if centroids is not None:
        yield Progress("export", 0.3, "centroids")
        written.append(write_centroids(image, centroids))
    if seg is not None and dicom_source is not None:
        from vertapp.backproject.dicom_seg import write_seg  # highdicom: only when asked

        yield Progress("export", 0.4, "DICOM SEG")
        written.append(
            write_seg(
                bp.labels, volume, dicom_source, seg, keep_identifiers=keep_identifiers, warn=warn
            )
        )
    yield Progress("export", 1.0, "done")
    return written


def not_the_same_ct(original: Volume, copy: Volume) -> str:
    """Why `original` is not the scan `copy` (its LPS copy, e.g. a project's volumes/
    NIfTI) was made from, in words; '' when it is: same grid and exactly the same voxels.
    Labels made on the copy and written on another scan would mark the wrong patient."""
    if tuple(original.shape) != tuple(copy.shape):
        return f"{_size(original.shape)} voxels, this image's CT {_size(copy.shape)}"
    # a NIfTI copy's header holds the geometry in float32
    if not (
        np.allclose(original.spacing, copy.spacing, rtol=1e-5, atol=1e-5)
        and np.allclose(original.origin, copy.origin, rtol=0, atol=1e-3)
        and np.allclose(original.direction, copy.direction, rtol=0, atol=1e-5)
    ):
        return "it lies elsewhere in the patient's coordinates"
    if not np.array_equal(original.array, copy.array):
        return "other voxel values"
    return ""


def _size(shape: tuple[int, ...]) -> str:
    z, y, x = (int(v) for v in shape)
    return f"{x} x {y} x {z}"
