"""Reading volumes and radiographs into `Volume` / `Radiograph` (no Qt).

Public API:
- read_volume(path, *, keep_identifiers=False, require_ct=True) -> Volume
- read_volume_job(path, **kw) -> Job[Volume]          (yields Progress, per file for DICOM)
- read_radiograph(path, *, keep_identifiers=False) -> Radiograph
- read_any(path, *, keep_identifiers=False, require_ct=True) -> Volume | Radiograph
- load_any(path) / load_any_job / load_volume_job -> LoadReport (image + stored orientation,
  series count, format; what `vertapp info` prints)
- write_volume(volume, path)                          NIfTI / MetaImage / NRRD
- write_dicom_series(volume, folder, ...)             one uncompressed file per slice
"""

from vertapp.io.dicom_writer import write_dicom_series
from vertapp.io.readers import (
    load_any,
    load_any_job,
    load_volume_job,
    read_any,
    read_radiograph,
    read_volume,
    read_volume_job,
    write_volume,
)
from vertapp.io.report import LoadReport
from vertapp.io.volume import Radiograph, Volume

__all__ = [
    "LoadReport",
    "Radiograph",
    "Volume",
    "load_any",
    "load_any_job",
    "load_volume_job",
    "read_any",
    "read_radiograph",
    "read_volume",
    "read_volume_job",
    "write_dicom_series",
    "write_volume",
]
