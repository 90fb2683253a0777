"""From the MIP back to the patient: 3D vertebra labels on the CT's own grid.

footprint.py: MIP masks -> which vertebra each MIP pixel shows; rays.py: which MIP pixel
each CT voxel projects onto; bone.py: bone plus the marrow it encloses; separate.py:
one label per voxel, neighbours separated in 3D; job.py: the cancellable job and the
reusable `BackProjector`. Writers of the outputs (NIfTI, DICOM SEG, centroids) live in
their own modules.
"""

from vertapp.backproject.footprint import AMBIGUOUS, footprint_from_coco, footprint_from_masks
from vertapp.backproject.job import (
    BackProjection,
    BackProjector,
    BackprojectParams,
    backproject,
    backproject_job,
)

__all__ = [
    "AMBIGUOUS",
    "BackProjection",
    "BackProjector",
    "BackprojectParams",
    "backproject",
    "backproject_job",
    "footprint_from_coco",
    "footprint_from_masks",
]
