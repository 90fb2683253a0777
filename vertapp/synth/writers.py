"""Writing phantoms to disk: NIfTI (SimpleITK) and a CT DICOM series (pydicom).

The DICOM series is meant to exercise readers: files get random names and are written
in random order, InstanceNumbers carry no order, pixel data are stored as unsigned values
with a rescale intercept. Identifiers are fake and non-identifying (PatientName
"PHANTOM^SEED<seed>").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from vertapp.io.dicom_writer import write_dicom_series as io_write_dicom_series
from vertapp.io.volume import Volume


def write_nifti(
    volume_or_array: Volume | np.ndarray, path: str | Path, like: Volume | None = None
) -> Path:
    """Write a Volume, or a (z, y, x) array on the grid of `like`, as NIfTI (.nii/.nii.gz).

    An array without `like` gets 1 mm spacing at the origin. Labels keep their dtype."""
    if isinstance(volume_or_array, Volume):
        geo: Volume | None = volume_or_array
        array = volume_or_array.array
    else:
        geo, array = like, np.asarray(volume_or_array)
    if array.ndim != 3:
        raise ValueError(f"need a 3-D (z, y, x) array, got shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.uint8)
    img = sitk.GetImageFromArray(np.ascontiguousarray(array))
    if geo is not None:
        if geo.shape != array.shape:
            raise ValueError(f"array shape {array.shape} differs from the volume's {geo.shape}")
        img.SetSpacing(geo.spacing)
        img.SetOrigin(geo.origin)
        img.SetDirection(tuple(float(d) for d in np.asarray(geo.direction).ravel()))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(img, str(path))
    return path


def write_dicom_series(
    volume: Volume,
    folder: str | Path,
    *,
    shuffle: bool = True,
    seed: int = 0,
    intercept: float = -1024,
) -> list[Path]:
    """One CT file per axial slice in `folder` (random names, random write order); returns
    the paths in z-index order. Delegates to the io layer's writer with a fake name."""
    return io_write_dicom_series(
        volume,
        folder,
        shuffle=shuffle,
        seed=seed,
        intercept=intercept,
        series_description=volume.series_description or "VertApp phantom",
        patient_name=f"PHANTOM^SEED{seed}",
    )
